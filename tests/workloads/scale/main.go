// scale: runtime/pprof's own heap-sample weighting, for tests/unit/scale.sh.
// Reads "count bytes rate" lines and prints "count bytes rate objects space"
// as runtime/pprof.scaleHeapSample computes them (pulled by linkname: go1.23+
// needs -ldflags=-checklinkname=0). With -avg the function takes the average
// object size (go1.27 protomem.go:72) instead of the total (go1.19 :78).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	_ "runtime/pprof"
	_ "unsafe"
)

//go:linkname scaleHeapSample runtime/pprof.scaleHeapSample
func scaleHeapSample(count, size, rate int64) (int64, int64)

func main() {
	avg := flag.Bool("avg", false, "second argument is the average size")
	flag.Parse()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var c, b, r int64
		if _, err := fmt.Sscan(in.Text(), &c, &b, &r); err != nil {
			continue
		}
		arg := b
		if *avg && c != 0 {
			arg = b / c
		}
		o, s := scaleHeapSample(c, arg, r)
		fmt.Printf("%d %d %d %d %d\n", c, b, r, o, s)
	}
}
