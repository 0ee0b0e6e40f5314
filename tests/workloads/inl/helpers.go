package main

// Small enough for the inliner of every Go release from 1.19 (budget 80;
// a call to a non-inlinable function costs 57+): each is inlined into its
// caller, so their lines appear only in the caller's inline tree.

func leaf(x int) int {
	grab("leaf")
	return x * 2
}

func middle(x int) int {
	return leaf(x) + 3
}

func outer(x int) int {
	return middle(x) - 1
}

type counter struct{ n int }

func (c *counter) bump(x int) int {
	c.n += leaf(x)
	return c.n
}

//go:noinline
func viaMethod(c *counter, x int) int {
	return c.bump(x)
}
