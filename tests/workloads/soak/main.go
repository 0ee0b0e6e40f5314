// soak is a target for attach/detach soak tests. It does, round after round,
// the things a uprobe agent could break: it churns goroutines, grows their
// stacks deeply by recursion and lets GC shrink them again, panics at the
// bottom of a recursion and recovers halfway up, forces GCs and calls
// ReadMemStats. Each round's result is computed twice: by that machinery and
// by a plain loop. A mismatch is reported at once; on SIGTERM (or after
// -rounds/-exit-after) it prints a summary, writes -report and exits 1 if any
// round was wrong. -exec-after replaces the process with another program
// (lifecycle tests). Only Go 1.19 APIs are used.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"
)

type report struct {
	Pid       int    `json:"pid"`
	GoVersion string `json:"go_version"`
	Rounds    int    `json:"rounds"`
	Bad       int    `json:"bad"`
	Panics    uint64 `json:"panics"`
	Goroutine uint64 `json:"goroutines"`
	NumGC     uint32 `json:"NumGC"`
	MemStats  int    `json:"memstats_calls"`
	Checksum  uint64 `json:"checksum"`
	Expected  uint64 `json:"expected"`
}

func mix(acc, n uint64) uint64 {
	acc ^= n + 0x9e3779b97f4a7c15 + acc<<6 + acc>>2
	return acc * 0xff51afd7ed558ccd
}

type boom struct{ acc uint64 }

// descend recurses depth levels with a frame big enough to force several
// stack growths, then panics; the frame at catchAt recovers, folds in the
// value carried by the panic and returns normally from there.
func descend(n, depth, catchAt, acc uint64) (res uint64) {
	var pad [64]uint64
	pad[n%64] = acc
	if n == catchAt {
		defer func() {
			if r := recover(); r != nil {
				res = mix(r.(boom).acc, 0xdead) ^ pad[n%64]
			}
		}()
	}
	if n == depth {
		panic(boom{mix(acc, n)})
	}
	return descend(n+1, depth, catchAt, mix(pad[n%64], n))
}

// expect is descend without goroutines, recursion or panics.
func expect(depth, catchAt, acc uint64) uint64 {
	saved := uint64(0)
	for n := uint64(0); ; n++ {
		if n == catchAt {
			saved = acc
		}
		if n == depth {
			return mix(mix(acc, n), 0xdead) ^ saved
		}
		acc = mix(acc, n)
	}
}

func params(round, i int) (depth, catchAt, seed uint64) {
	h := mix(uint64(round), uint64(i))
	depth = 200 + h%3000
	catchAt = h % (depth / 2)
	return depth, catchAt, h
}

var (
	panics     uint64
	goroutines uint64
)

// oneRound runs g goroutines and returns the sum of their results and the
// sum the plain loop expects.
func oneRound(round, g int) (got, want uint64) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < g; i++ {
		depth, catchAt, seed := params(round, i)
		want += expect(depth, catchAt, seed)
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A short-lived helper goroutine per worker: more churn.
			ch := make(chan uint64, 1)
			go func() { ch <- descend(0, depth, catchAt, seed) }()
			v := <-ch
			mu.Lock()
			got += v
			panics++
			goroutines += 2
			mu.Unlock()
		}()
	}
	wg.Wait()
	return got, want
}

func main() {
	nrounds := flag.Int("rounds", 0, "stop after this many rounds (0: until SIGTERM)")
	g := flag.Int("goroutines", 32, "worker goroutines per round")
	pause := flag.Duration("pause", 5*time.Millisecond, "sleep between rounds")
	gcEvery := flag.Int("gc-every", 4, "runtime.GC() every N rounds")
	msEvery := flag.Int("memstats-every", 3, "runtime.ReadMemStats every N rounds")
	exitAfter := flag.Duration("exit-after", 0, "exit normally after this long")
	execAfter := flag.Duration("exec-after", 0, "exec the program given after the flags after this long")
	out := flag.String("report", "", "write a JSON report here at the end")
	corrupt := flag.Int("corrupt", -1, "get round N wrong on purpose (tests the checker)")
	flag.Parse()

	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM, syscall.SIGINT)
	var deadline, execAt <-chan time.Time
	if *exitAfter > 0 {
		deadline = time.After(*exitAfter)
	}
	if *execAfter > 0 {
		if flag.NArg() == 0 {
			fmt.Fprintln(os.Stderr, "soak: -exec-after needs a program")
			os.Exit(2)
		}
		execAt = time.After(*execAfter)
	}
	fmt.Printf("READY %d\n", os.Getpid())

	var r report
	var ms runtime.MemStats
loop:
	for round := 0; *nrounds == 0 || round < *nrounds; round++ {
		got, want := oneRound(round, *g)
		if round == *corrupt {
			got++
		}
		r.Checksum = mix(r.Checksum, got)
		r.Expected = mix(r.Expected, want)
		r.Rounds++
		if got != want {
			r.Bad++
			fmt.Fprintf(os.Stderr, "soak: MISMATCH round %d: got %d want %d\n", round, got, want)
		}
		if *gcEvery > 0 && round%*gcEvery == 0 {
			runtime.GC()
		}
		if *msEvery > 0 && round%*msEvery == 0 {
			runtime.ReadMemStats(&ms)
			r.MemStats++
		}
		select {
		case <-term:
			break loop
		case <-deadline:
			break loop
		case <-execAt:
			fmt.Printf("EXEC %s\n", flag.Arg(0))
			err := syscall.Exec(flag.Arg(0), flag.Args(), os.Environ())
			fmt.Fprintln(os.Stderr, "soak: exec:", err)
			os.Exit(1)
		case <-time.After(*pause):
		}
	}
	runtime.ReadMemStats(&ms)
	r.Pid, r.GoVersion, r.NumGC = os.Getpid(), runtime.Version(), ms.NumGC
	r.Panics, r.Goroutine = panics, goroutines
	fmt.Printf("soak: %d rounds, %d bad, %d panics recovered, %d goroutines, %d GCs, checksum %d expected %d\n",
		r.Rounds, r.Bad, r.Panics, r.Goroutine, r.NumGC, r.Checksum, r.Expected)
	if *out != "" {
		b, _ := json.Marshal(&r)
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "soak:", err)
			os.Exit(1)
		}
	}
	if r.Bad != 0 || r.Checksum != r.Expected {
		os.Exit(1)
	}
}
