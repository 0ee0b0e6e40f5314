// benchwork is the CPU-bound side of `make bench`. One JSON line per run.
//
//	-mode churn     -n N goroutines, each allocates 64 B and exits: ns per goroutine
//	-mode alloc     allocation-heavy with a small live heap: ns per op, GCs
//	-mode memstats  runtime.ReadMemStats at -rate per second (0: flat out) for
//	                -duration: a known stream of stop-the-world events
//	-mode gc        runtime.GC() at -rate per second for -duration
//	-mode spawn     goroutines (each allocates 64 B and exits) at -rate per
//	                second (0: flat out) for -duration, in batches every ms
//	-mode pingpong  -n N round trips of a token between two goroutines over
//	                unbuffered channels (each parks twice): ns per round trip
//
// -wait prints READY and waits for SIGUSR1 before working (to attach first);
// -hold then waits for another SIGUSR1 after printing the result, so that the
// tracer's counters can be read while the process still exists, idle.
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

var sink []byte

func churn(n int) float64 {
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			sink = make([]byte, 64)
			wg.Done()
		}()
		if i%1000 == 999 {
			wg.Wait()
		}
	}
	wg.Wait()
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

func pingpong(n int) float64 {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v
		}
	}()
	start := time.Now()
	for i := 0; i < n; i++ {
		ping <- i
		<-pong
	}
	close(ping)
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

func alloc(n int) float64 {
	live := make([][]byte, 1024)
	start := time.Now()
	for i := 0; i < n; i++ {
		live[i%len(live)] = make([]byte, 256+i%4096)
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

func paced(rate float64, d time.Duration, f func()) int {
	start := time.Now()
	n := 0
	for time.Since(start) < d {
		f()
		n++
		if rate > 0 {
			time.Sleep(time.Until(start.Add(time.Duration(float64(n) / rate * 1e9))))
		}
	}
	return n
}

func main() {
	mode := flag.String("mode", "churn", "churn | alloc | memstats | gc | spawn | pingpong")
	n := flag.Int("n", 200000, "goroutines (churn), allocations (alloc) or round trips (pingpong)")
	rate := flag.Float64("rate", 0, "calls or goroutines per second (memstats, gc, spawn; 0: flat out)")
	d := flag.Duration("duration", 3*time.Second, "how long (memstats, gc, spawn)")
	wait := flag.Bool("wait", false, "print READY and wait for SIGUSR1")
	hold := flag.Bool("hold", false, "with -wait: after the result, wait for SIGUSR1 again")
	flag.Parse()
	c := make(chan os.Signal, 1)
	if *wait {
		signal.Notify(c, syscall.SIGUSR1)
		fmt.Printf("READY %d\n", os.Getpid())
		<-c
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	out := map[string]interface{}{"mode": *mode}
	start := time.Now()
	switch *mode {
	case "churn":
		out["ns_per_op"] = churn(*n)
	case "alloc":
		out["ns_per_op"] = alloc(*n)
	case "pingpong":
		out["ns_per_op"] = pingpong(*n)
	case "memstats":
		var ms runtime.MemStats
		out["calls"] = paced(*rate, *d, func() { runtime.ReadMemStats(&ms) })
	case "gc":
		out["calls"] = paced(*rate, *d, runtime.GC)
	case "spawn":
		// Batches every millisecond: time.Sleep cannot pace single goroutines at 100k/s.
		per := int(*rate / 1000)
		if per < 1 || *rate == 0 {
			per = 1000
		}
		var wg sync.WaitGroup
		batches := paced(*rate/float64(per), *d, func() {
			for i := 0; i < per; i++ {
				wg.Add(1)
				go func() {
					sink = make([]byte, 64)
					wg.Done()
				}()
			}
			if *rate == 0 {
				wg.Wait()
			}
		})
		wg.Wait()
		out["calls"] = batches * per
	default:
		fmt.Fprintln(os.Stderr, "benchwork: unknown -mode", *mode)
		os.Exit(2)
	}
	out["seconds"] = time.Since(start).Seconds()
	runtime.ReadMemStats(&after)
	out["gcs"] = after.NumGC - before.NumGC
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
	if *wait && *hold {
		<-c
	}
}
