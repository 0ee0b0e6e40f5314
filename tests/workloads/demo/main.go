// demo is a small busy Go program for `make demo`: a few goroutines build and
// drop maps and slices, one forces a GC now and then, another reads memory
// statistics, so that gopry has GC cycles and stop-the-world pauses to show;
// and a "server" handles 200 requests a second, each in a goroutine of its
// own, of which one in fifty forgets to answer and leaves a goroutine blocked
// on a channel receive forever: the leak gopry's --leaks points at.
package main

import (
	"flag"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

var mu sync.Mutex
var cache = map[int][]byte{}
var leaked atomic.Int64

// worker keeps a bounded cache of recent buffers (about 18 MB of live heap)
// and throws the rest away: about 18 MB/s of garbage per worker, so a GC cycle
// every few hundred milliseconds.
func worker(id int, stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for i := 0; ; {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		for n := 0; n < 2; n, i = n+1, i+1 {
			b := make([]byte, 1024+(i%32)*512)
			mu.Lock()
			cache[(id*7919+i)%2048] = b
			mu.Unlock()
		}
	}
}

// handle answers a request in its own goroutine; every 50th one returns
// before reading the reply, and the goroutine waiting to hand it over
// blocks forever.
func handle(i int) {
	reply := make(chan int)
	go func() { reply <- i * i }() // DEMO:leak
	if i%50 == 49 {
		leaked.Add(1)
		return
	}
	<-reply
}

func serve(stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		go handle(i) // DEMO:requests
	}
}

func main() {
	d := flag.Int("d", 10, "seconds to run")
	flag.Parse()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go worker(i, stop, &wg)
	}
	wg.Add(1)
	go serve(stop, &wg)
	gcTick := time.NewTicker(2 * time.Second)
	msTick := time.NewTicker(700 * time.Millisecond)
	end := time.After(time.Duration(*d) * time.Second)
	var ms runtime.MemStats
loop:
	for {
		select {
		case <-gcTick.C:
			runtime.GC()
		case <-msTick.C:
			runtime.ReadMemStats(&ms)
		case <-end:
			break loop
		}
	}
	close(stop)
	wg.Wait()
	runtime.ReadMemStats(&ms)
	fmt.Printf("demo: %d GC cycles, %d forced, %.2f ms total pause; %d goroutines, %d leaked\n",
		ms.NumGC, ms.NumForcedGC, float64(ms.PauseTotalNs)/1e6, runtime.NumGoroutine(),
		leaked.Load())
}
