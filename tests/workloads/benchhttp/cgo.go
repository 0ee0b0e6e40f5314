//go:build gopry_cgo

package main

// static int gopry_cgo_answer(void) { return 42; }
import "C"

// Calling into C at start makes the binary a real cgo program (the runtime's
// cgo paths run), not merely one linked externally.
var cgoAnswer = int(C.gopry_cgo_answer())
