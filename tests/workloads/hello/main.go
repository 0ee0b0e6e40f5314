// hello is the smallest Go program: a fixture for the binary reader's tests.
package main

import "fmt"

func main() { fmt.Println("hello") }
