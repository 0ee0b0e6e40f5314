// Command gen-offsets prints, for one Go binary with DWARF, the byte offset
// of every member listed in user/gofields.def as one row of
// user/offsets_table.c (-1 for a member absent in that Go version).
// It uses only debug/elf and debug/dwarf; tools/gen-offsets.sh drives it.
//
//	gen-offsets -def user/gofields.def -version go1.22.12 BINARY
package main

import (
	"bufio"
	"debug/dwarf"
	"debug/elf"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

type field struct{ id, typ, member string }

var xline = regexp.MustCompile(`^X\(\s*(\w+)\s*,\s*"([^"]+)"\s*,\s*"([^"]+)"\s*\)`)

func readDef(path string) ([]field, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []field
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := xline.FindStringSubmatch(strings.TrimSpace(sc.Text())); m != nil {
			out = append(out, field{m[1], m[2], m[3]})
		}
	}
	return out, sc.Err()
}

// structMembers maps "type" -> "member" -> offset for the wanted types.
func structMembers(d *dwarf.Data, want map[string]bool) (map[string]map[string]int64, error) {
	out := map[string]map[string]int64{}
	r := d.Reader()
	for {
		e, err := r.Next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			return out, nil
		}
		if e.Tag != dwarf.TagStructType {
			continue
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		if !want[name] || out[name] != nil || !e.Children {
			if e.Children {
				r.SkipChildren()
			}
			continue
		}
		mem := map[string]int64{}
		for {
			c, err := r.Next()
			if err != nil {
				return nil, err
			}
			if c == nil || c.Tag == 0 {
				break
			}
			if c.Tag != dwarf.TagMember {
				if c.Children {
					r.SkipChildren()
				}
				continue
			}
			mn, _ := c.Val(dwarf.AttrName).(string)
			off, ok := c.Val(dwarf.AttrDataMemberLoc).(int64)
			if !ok {
				return nil, fmt.Errorf("%s.%s: member location is not a constant", name, mn)
			}
			mem[mn] = off
		}
		out[name] = mem
	}
}

func main() {
	def := flag.String("def", "user/gofields.def", "field list")
	version := flag.String("version", "", "Go release the binary was built with (go1.22.12)")
	flag.Parse()
	if flag.NArg() != 1 || *version == "" {
		fmt.Fprintln(os.Stderr, "usage: gen-offsets -def FILE -version goX.Y.Z BINARY")
		os.Exit(2)
	}
	fields, err := readDef(*def)
	if err != nil || len(fields) == 0 {
		fmt.Fprintln(os.Stderr, "gen-offsets: cannot read fields from", *def, err)
		os.Exit(1)
	}
	ef, err := elf.Open(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen-offsets:", err)
		os.Exit(1)
	}
	d, err := ef.DWARF()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen-offsets: no DWARF in", flag.Arg(0), err)
		os.Exit(1)
	}
	want := map[string]bool{}
	for _, f := range fields {
		want[f.typ] = true
	}
	types, err := structMembers(d, want)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen-offsets:", err)
		os.Exit(1)
	}
	for t := range want {
		if types[t] == nil {
			fmt.Fprintf(os.Stderr, "gen-offsets: %s: no struct %s\n", flag.Arg(0), t)
			os.Exit(1)
		}
	}
	minor := strings.SplitN(strings.TrimPrefix(*version, "go1."), ".", 2)[0]
	if _, err := strconv.Atoi(minor); err != nil {
		fmt.Fprintln(os.Stderr, "gen-offsets: bad version", *version)
		os.Exit(1)
	}
	fmt.Printf("\t{\n\t\t.minor = %s,\n\t\t.version = %q,\n\t\t.off = {\n", minor, *version)
	for _, f := range fields {
		off, ok := types[f.typ][f.member]
		if !ok {
			off = -1
		}
		fmt.Printf("\t\t\t[GF_%s] = %d,\n", f.id, off)
	}
	fmt.Printf("\t\t},\n\t},\n")
}
