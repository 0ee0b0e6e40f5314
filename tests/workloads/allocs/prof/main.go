// allocs/prof: the allocation workload (work.go) in a binary that references
// runtime.MemProfile, so the linker keeps memory profiling on.
package main

import (
	"os"
	"runtime"
)

func main() {
	// Never true; the reference alone keeps profiling enabled.
	if len(os.Args) > 99 {
		runtime.MemProfile(nil, false)
	}
	run()
}
