// allocs/noprof: the allocation workload (work.go, a symlink) in a binary
// that never references runtime.MemProfile: the linker sets
// disableMemoryProfiling and the runtime starts with MemProfileRate = 0.
package main

func main() {
	run()
}
