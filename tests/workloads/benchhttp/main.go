// benchhttp is the HTTP service of `make bench` and its load generator.
//
//	benchhttp -serve 127.0.0.1:PORT [-trace]    serve until SIGTERM
//	benchhttp -load URL -rate R -duration D     open-loop load at R req/s
//	benchhttp -load URL -rate 0 -conns C ...    closed loop: saturation
//
// The handler does a little work and allocation, so the service runs GCs.
// The load generator prints one JSON line: requests, errors, rps, p50, p99.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"os"
	"os/signal"
	"runtime/trace"
	"sort"
	"sync"
	"syscall"
	"time"
)

func handler(w http.ResponseWriter, r *http.Request) {
	buf := make([]byte, 16<<10)
	h := fnv.New64a()
	for i := 0; i < 4; i++ {
		for j := range buf {
			buf[j] = byte(i + j)
		}
		h.Write(buf)
	}
	fmt.Fprintf(w, "%x\n", h.Sum64())
}

func serve(addr string, tr bool) {
	if tr {
		f, err := os.Create(os.DevNull)
		if err == nil {
			err = trace.Start(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchhttp: trace:", err)
			os.Exit(1)
		}
	}
	srv := &http.Server{Addr: addr, Handler: http.HandlerFunc(handler)}
	go func() {
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM, syscall.SIGINT)
		<-c
		srv.Close()
	}()
	fmt.Printf("READY %d\n", os.Getpid())
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "benchhttp:", err)
		os.Exit(1)
	}
	if tr {
		trace.Stop()
	}
}

type result struct {
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	RPS      float64 `json:"rps"`
	P50us    float64 `json:"p50_us"`
	P99us    float64 `json:"p99_us"`
}

func load(url string, rate float64, conns int, d time.Duration) result {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	cl := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	one := func(sched time.Time) {
		resp, err := cl.Get(url)
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		// Open loop: latency from the scheduled start (no coordinated omission).
		l := time.Since(sched)
		mu.Lock()
		if err != nil {
			errs++
		} else {
			lat = append(lat, l)
		}
		mu.Unlock()
	}
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	if rate > 0 {
		sem := make(chan struct{}, conns)
		interval := time.Duration(float64(time.Second) / rate)
		for i := 0; ; i++ {
			sched := start.Add(time.Duration(i) * interval)
			if sched.After(end) {
				break
			}
			time.Sleep(time.Until(sched))
			sem <- struct{}{}
			wg.Add(1)
			go func() { defer wg.Done(); one(sched); <-sem }()
		}
	} else {
		for c := 0; c < conns; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(end) {
					one(time.Now())
				}
			}()
		}
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r := result{Requests: len(lat), Errors: errs, RPS: float64(len(lat)) / el}
	if len(lat) > 0 {
		r.P50us = float64(lat[len(lat)/2].Microseconds())
		r.P99us = float64(lat[len(lat)*99/100].Microseconds())
	}
	return r
}

func main() {
	addr := flag.String("serve", "", "serve on this address")
	tr := flag.Bool("trace", false, "run runtime/trace (to /dev/null) while serving")
	url := flag.String("load", "", "drive this URL")
	rate := flag.Float64("rate", 0, "requests per second (0: closed loop, saturation)")
	conns := flag.Int("conns", 16, "connections")
	d := flag.Duration("duration", 5*time.Second, "load duration")
	flag.Parse()
	if *addr != "" {
		serve(*addr, *tr)
		return
	}
	if *url == "" {
		fmt.Fprintln(os.Stderr, "benchhttp: -serve or -load")
		os.Exit(2)
	}
	b, _ := json.Marshal(load(*url, *rate, *conns, *d))
	fmt.Println(string(b))
}
