package host

import (
	"slices"
	"sort"
	"testing"
)

// A task's resource set holds what it is given and forgets what is taken
// away, below and past the size where its list becomes a map.
func TestResourceSet(t *testing.T) {
	for _, n := range []int{0, 1, setListMax, setListMax + 1, 3 * setListMax} {
		rs := make([]*Resource, n)
		var s resourceSet
		for i := range rs {
			rs[i] = &Resource{}
			s.add(rs[i])
		}
		// Take away every other one, from both ends of the list.
		var kept []*Resource
		for i, r := range rs {
			if i%2 == 0 {
				s.remove(r)
			} else {
				kept = append(kept, r)
			}
		}
		s.remove(&Resource{}) // one it never held: nothing happens
		if got := ids(s.list(), rs); !slices.Equal(got, ids(kept, rs)) {
			t.Errorf("%d added, evens removed: holds %v, want %v", n, got, ids(kept, rs))
		}
		if (n > setListMax) != (s.many != nil) {
			t.Errorf("%d added: a map is %v", n, s.many != nil)
		}
	}
}

// ids are the positions in all of the resources in rs, sorted.
func ids(rs, all []*Resource) []int {
	var out []int
	for _, r := range rs {
		for i, x := range all {
			if x == r {
				out = append(out, i)
			}
		}
	}
	sort.Ints(out)
	return out
}
