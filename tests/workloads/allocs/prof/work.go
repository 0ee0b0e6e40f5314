// The allocations shared by allocs/prof and allocs/noprof (noprof/work.go is
// a symlink to this file): per round, bigAlloc allocates 70% of the bytes in
// 8 KiB slices, smallAlloc 20% in 64-byte structs that escape, otherAlloc
// the remaining 10% through newBuf, an inlined helper, in two sizes: half
// the bytes in 256 slices of 16 bytes, half in one of 4 KiB, so that its
// object count (257 a round, about smallAlloc's 256) rests on samples of
// very different weights. The tests find the lines by the SITE markers.
// Only Go 1.19 APIs are used.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"
)

type item struct {
	id   int64
	next *item
	pad  [6]int64
}

var (
	bigs   [512][]byte
	items  [16384]*item
	others [512][]byte
)

//go:noinline
func bigAlloc(i int) {
	bigs[i%len(bigs)] = make([]byte, 8192) // SITE-BIG
}

//go:noinline
func smallAlloc(i int) {
	p := &item{id: int64(i)} // SITE-SMALL
	p.next = p
	items[i%len(items)] = p
}

// newBuf is small enough to be inlined into otherAlloc by every Go release:
// its allocation must be charged to its own line (an inlined frame), not to
// the call in otherAlloc.
func newBuf(n int) []byte {
	return make([]byte, n) // SITE-OTHER
}

//go:noinline
func otherAlloc(i, n int) {
	others[i%len(others)] = newBuf(n) // OTHER-CALL (the physical frame)
}

// round allocates 7*8192 + 256*64 + (256*16 + 4096) = 81920 bytes: 70/20/10 %.
func round(n int) {
	for i := 0; i < 7; i++ {
		bigAlloc(n*7 + i)
	}
	for i := 0; i < 256; i++ {
		smallAlloc(n*256 + i)
	}
	// One call site for both sizes: the same stack, two sizes.
	for i := 0; i < 257; i++ {
		size := 16
		if i == 256 {
			size = 4096
		}
		otherAlloc(n*257+i, size)
	}
}

// run allocates at about rate MB/s for d, forcing a GC and reporting Go's
// own HeapAlloc after it every gcEvery, and MemProfileRate every 100 ms.
func run() {
	d := flag.Duration("d", 3*time.Second, "how long to allocate")
	rate := flag.Int("rate", 200, "MB/s to allocate")
	gcEvery := flag.Duration("gc", 500*time.Millisecond, "runtime.GC() period")
	flag.Parse()

	fmt.Fprintf(os.Stderr, "allocs: pid=%d memprofilerate=%d\n", os.Getpid(), runtime.MemProfileRate)
	start := time.Now()
	nextGC, nextRate := start.Add(*gcEvery), start
	const chunk = 16 // rounds between checks: 1.25 MiB
	for n := 0; time.Since(start) < *d; n += chunk {
		for k := 0; k < chunk; k++ {
			round(n + k)
		}
		// Pace to the rate: sleep until the bytes so far are due.
		due := time.Duration(float64(n+chunk) * 81920 / (float64(*rate) * 1e6) * 1e9)
		if ahead := due - time.Since(start); ahead > 0 {
			time.Sleep(ahead)
		}
		now := time.Now()
		if now.After(nextRate) {
			fmt.Fprintf(os.Stderr, "allocs: memprofilerate=%d\n", runtime.MemProfileRate)
			nextRate = now.Add(100 * time.Millisecond)
		}
		if now.After(nextGC) {
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			fmt.Fprintf(os.Stderr, "allocs: gc numgc=%d heapalloc=%d\n", ms.NumGC, ms.HeapAlloc)
			nextGC = now.Add(*gcEvery)
		}
	}
	fmt.Fprintf(os.Stderr, "allocs: done memprofilerate=%d\n", runtime.MemProfileRate)
}
