// goleak creates goroutines whose counts and lifetimes gopry must report
// exactly: -n short-lived ones (each lives -life) at the line marked
// SITE:short, and -m that block forever on a channel receive at the line
// marked SITE:leak, -pre of them before it says READY. At the checkpoint
// (every short one has exited, the leaked ones are parked) it writes a JSON
// report with its own counters and runtime.NumGoroutine(), then holds still
// for -hold so that gopry's walks see the same state. With -w K, K more
// goroutines at the line marked SITE:wait each block once on a channel
// receive for about -wlife (a gate closed -wlife after they started) and time
// that block themselves. Go 1.19 APIs only.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sort"
	"sync"
	"syscall"
	"time"
)

type report struct {
	Pid          int     `json:"pid"`
	GoVersion    string  `json:"go_version"`
	Short        int     `json:"short"`
	Leaked       int     `json:"leaked"`
	LeakedBefore int     `json:"leaked_before"`
	NumGoroutine int     `json:"NumGoroutine"`
	LifeP50Ns    int64   `json:"life_p50_ns"`
	LifeMaxNs    int64   `json:"life_max_ns"`
	LifeMinNs    int64   `json:"life_min_ns"`
	Stable       bool    `json:"stable"`
	Waiters      int     `json:"waiters"`
	WaitP50Ns    int64   `json:"wait_p50_ns"`
	WaitTotalNs  int64   `json:"wait_total_ns"`
	CheckpointS  float64 `json:"checkpoint_s"`
}

var block = make(chan int) // never sent to

//go:noinline
func spawnShort(life time.Duration, wg *sync.WaitGroup, out []int64, i int) {
	start := time.Now()
	go func() { // SITE:short
		time.Sleep(life)
		out[i] = int64(time.Since(start))
		wg.Done()
	}()
}

//go:noinline
func spawnLeak() {
	go func() { // SITE:leak
		<-block
	}()
}

//go:noinline
func spawnWait(gate chan int, wg *sync.WaitGroup, out []int64, i int) {
	go func() { // SITE:wait
		start := time.Now()
		<-gate
		out[i] = int64(time.Since(start))
		wg.Done()
	}()
}

// waitPhase: k goroutines block once on a channel receive for about life.
func waitPhase(k int, life time.Duration) []int64 {
	gate := make(chan int)
	out := make([]int64, k)
	var wg sync.WaitGroup
	wg.Add(k)
	for i := 0; i < k; i++ {
		spawnWait(gate, &wg, out, i)
	}
	time.Sleep(life)
	close(gate)
	wg.Wait()
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func main() {
	n := flag.Int("n", 60, "short-lived goroutines")
	m := flag.Int("m", 24, "leaked goroutines (blocked forever)")
	pre := flag.Int("pre", 6, "of the leaked ones, how many before READY")
	life := flag.Duration("life", 40*time.Millisecond, "lifetime of a short-lived goroutine")
	batch := flag.Int("batch", 20, "short-lived goroutines alive at once")
	waiters := flag.Int("w", 0, "goroutines that block once on a channel for -wlife")
	wlife := flag.Duration("wlife", 50*time.Millisecond, "how long the -w goroutines block")
	hold := flag.Duration("hold", 2500*time.Millisecond, "stay still after the checkpoint")
	out := flag.String("report", "", "write the JSON report to this file")
	wait := flag.Bool("wait", false, `print "READY <pid>" and wait for SIGUSR1 before working`)
	flag.Parse()

	// The signal-handling goroutine exists in both modes, so counts agree.
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	for i := 0; i < *pre; i++ {
		spawnLeak()
	}
	if *wait {
		fmt.Printf("READY %d\n", os.Getpid())
		<-usr1
	}
	t0 := time.Now()

	// Short-lived goroutines in batches, leaked ones in between, so the
	// leaking site grows over several of gopry's intervals.
	lifes := make([]int64, *n)
	rest := *m - *pre
	rounds := (*n + *batch - 1) / *batch
	if rounds < 4 {
		rounds = 4
	}
	done := 0
	for r := 0; r < rounds; r++ {
		var wg sync.WaitGroup
		for k := 0; k < *batch && done < *n; k++ {
			wg.Add(1)
			spawnShort(*life, &wg, lifes, done)
			done++
		}
		for k := rest * r / rounds; k < rest*(r+1)/rounds; k++ {
			spawnLeak()
		}
		wg.Wait()
		time.Sleep(300 * time.Millisecond)
	}

	var waits []int64
	if *waiters > 0 {
		waits = waitPhase(*waiters, *wlife)
	}

	// wg.Done runs before the goroutine returns: wait until every short
	// one has really exited and the leaked ones are parked.
	var r report
	base := 2 // main and os/signal's loop
	for i := 0; i < 200 && runtime.NumGoroutine() != base+*m; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	r.Stable = runtime.NumGoroutine() == base+*m
	r.NumGoroutine = runtime.NumGoroutine()
	r.CheckpointS = time.Since(t0).Seconds()
	sort.Slice(lifes, func(i, j int) bool { return lifes[i] < lifes[j] })
	if *n > 0 {
		r.LifeP50Ns = lifes[(*n+1)/2-1]
		r.LifeMinNs, r.LifeMaxNs = lifes[0], lifes[*n-1]
	}
	r.Pid, r.GoVersion = os.Getpid(), runtime.Version()
	r.Short, r.Leaked, r.LeakedBefore = *n, *m, *pre
	r.Waiters = len(waits)
	if len(waits) > 0 {
		r.WaitP50Ns = waits[(len(waits)+1)/2-1]
		for _, w := range waits {
			r.WaitTotalNs += w
		}
	}
	if *out != "" {
		b, _ := json.Marshal(&r)
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			os.Exit(1)
		}
	}
	fmt.Printf("goleak: %d short, %d leaked, NumGoroutine %d\n", *n, *m, r.NumGoroutine)
	time.Sleep(*hold)
}
