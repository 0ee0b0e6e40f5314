// gcwork does a known amount of GC work so that gopry's numbers can be checked
// against Go's own: -auto automatic GC cycles (garbage with a small live set),
// -forced runtime.GC() calls and -memstats runtime.ReadMemStats calls, then
// writes a JSON report. Only Go 1.19 APIs are used.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"hash/fnv"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"syscall"
	"time"
)

type report struct {
	Pid          int    `json:"pid"`
	GoVersion    string `json:"go_version"`
	NumGC        uint32 `json:"NumGC"`
	NumForcedGC  uint32 `json:"NumForcedGC"`
	PauseTotalNs uint64 `json:"PauseTotalNs"`
	// Counts every ReadMemStats call, including the final one that fills
	// in this report.
	ReadMemStatsCalls int    `json:"ReadMemStatsCalls"`
	GOGC              int    `json:"GOGC"`
	MemoryLimit       int64  `json:"MemoryLimit"`
	Checksum          uint64 `json:"Checksum"`
	// With -wait: what had happened before SIGUSR1 (so before gopry attached).
	NumGCAtReady             uint32 `json:"NumGCAtReady"`
	ReadMemStatsCallsAtReady int    `json:"ReadMemStatsCallsAtReady"`
}

var memstatsCalls int

func readMemStats(ms *runtime.MemStats) {
	memstatsCalls++
	runtime.ReadMemStats(ms)
}

// gcCount reads the GC cycle counter through runtime/metrics, which, unlike
// ReadMemStats, does not stop the world and so leaves the STW count alone.
func gcCount() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

var sink [][]byte

// churn allocates garbage until n more GC cycles have completed. It checks
// after every 64 KiB, far less than a heap goal, so it never starts one extra.
func churn(n int, live int) {
	const chunk = 64 << 10
	if sink == nil {
		sink = make([][]byte, live/chunk+1)
	}
	target := gcCount() + uint64(n)
	for i := 0; gcCount() < target; i++ {
		b := make([]byte, chunk)
		b[i%chunk] = byte(i)
		sink[i%len(sink)] = b
	}
}

// settle makes sure the automatic cycle churn saw end has finished printing
// its gctrace line before runtime.GC() starts the next one. Go 1.19 sets
// work.userForced in gcStart before taking gcsema, so a runtime.GC() right
// after a cycle's numgc++ makes gctrace print "(forced)" on that automatic
// cycle (fixed in 1.21). A ReadMemStats just before (its stop-the-world waits
// for worldsema, which mark termination holds until after the print) is
// enough; without one, a short sleep lets the print finish.
func settle(needed bool) {
	if needed {
		time.Sleep(20 * time.Millisecond)
	}
}

// work hashes a fresh buffer of deterministic content, so the checksum is the
// same on every run with the same flags: a traced program must compute the
// same as an untraced one.
func work(i int, sum uint64) uint64 {
	b := make([]byte, 4096+i)
	for j := range b {
		b[j] = byte(j*7 + i)
	}
	h := fnv.New64a()
	h.Write(b)
	return sum*1099511628211 ^ h.Sum64()
}

func main() {
	auto := flag.Int("auto", 10, "automatic GC cycles to cause")
	forced := flag.Int("forced", 3, "runtime.GC() calls")
	nms := flag.Int("memstats", 4, "runtime.ReadMemStats calls (besides the final one)")
	live := flag.Int("live", 1<<20, "bytes of live heap to keep while churning")
	out := flag.String("report", "", "write the JSON report to this file")
	wait := flag.Bool("wait", false, `print "READY <pid>" and wait for SIGUSR1 before working`)
	flag.Parse()

	var r report
	var ms runtime.MemStats
	if *wait {
		usr1 := make(chan os.Signal, 1)
		signal.Notify(usr1, syscall.SIGUSR1)
		readMemStats(&ms)
		r.NumGCAtReady, r.ReadMemStatsCallsAtReady = ms.NumGC, memstatsCalls
		fmt.Printf("READY %d\n", os.Getpid())
		<-usr1
	}

	// Interleave the three kinds of work so that each shows up between others.
	for i := 0; i < *auto || i < *forced || i < *nms; i++ {
		r.Checksum = work(i, r.Checksum)
		if i < *auto {
			churn(1, *live)
		}
		if i < *nms {
			readMemStats(&ms)
		}
		if i < *forced {
			settle(i < *auto && i >= *nms)
			runtime.GC()
		}
	}
	sink = nil

	r.GOGC = debug.SetGCPercent(-1)
	debug.SetGCPercent(r.GOGC)
	r.MemoryLimit = debug.SetMemoryLimit(-1)
	readMemStats(&ms)
	r.Pid, r.GoVersion = os.Getpid(), runtime.Version()
	r.NumGC, r.NumForcedGC, r.PauseTotalNs = ms.NumGC, ms.NumForcedGC, ms.PauseTotalNs
	r.ReadMemStatsCalls = memstatsCalls
	fmt.Printf("gcwork: %d GCs (%d forced), %d ReadMemStats, checksum %d\n",
		r.NumGC, r.NumForcedGC, r.ReadMemStatsCalls, r.Checksum)
	if *out != "" {
		b, _ := json.Marshal(&r)
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gcwork:", err)
			os.Exit(1)
		}
	}
}
