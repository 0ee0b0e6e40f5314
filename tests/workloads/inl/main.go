// inl: Go's own view of inlined frames, for tests/unit/inline.sh. Captures
// runtime.Callers at sites inside functions the compiler inlines (helpers.go)
// and prints, per capture, every logical frame runtime.CallersFrames gives:
//
//	B <runtime address of main.main>       (once: the PIE load bias)
//	C <capture name>
//	F <pc> <entry> <function> <file> <line> (tab-separated; pc and entry hex)
//
// Frame.PC is the looked-up pc (return address - 1 for calls); frames of one
// physical frame share Entry, the physical function's. Only Go 1.19 APIs.
package main

import (
	"fmt"
	"reflect"
	"runtime"
)

var pcbuf [64]uintptr

// grab is the one real call at every site: its caller's pc is the site.
//
//go:noinline
func grab(name string) {
	n := runtime.Callers(1, pcbuf[:])
	fmt.Printf("C\t%s\n", name)
	frames := runtime.CallersFrames(pcbuf[:n])
	for {
		f, more := frames.Next()
		fmt.Printf("F\t%x\t%x\t%s\t%s\t%d\n", f.PC, f.Entry, f.Function, f.File, f.Line)
		if !more {
			break
		}
	}
}

//go:noinline
func direct() {
	grab("direct")
}

//go:noinline
func nested(x int) int {
	return outer(x) + 1
}

//go:noinline
func twice(x int) int {
	// Two inlined copies of the same helper: distinct call-site lines.
	a := leaf(x)
	b := leaf(x + 1)
	return a + b
}

func main() {
	fmt.Printf("B\t%x\n", reflect.ValueOf(main).Pointer())
	direct()
	sink += nested(3)
	sink += twice(5)
	sink += viaMethod(&counter{}, 2)
}

var sink int
