package host

// Resources (sockets) and who owns them. A task's failure or cancellation
// closes what it owns; Shutdown closes everything; the garbage collector
// closes what no Lua value refers to any more.

import (
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	lua "github.com/yuin/gopher-lua"
)

// Resource is one open thing a task owns: a socket. Close closes it and
// forgets it; Give moves it to another task.
type Resource struct {
	h     *Host
	c     io.Closer
	owner *Task // guarded by h.state
	// ownerNow mirrors owner (set under h.state), for Give's check
	// without the lock.
	ownerNow atomic.Pointer[Task]
	closed   bool // guarded by h.state
	once     sync.Once
}

// NewResource registers c as owned by the running task (or by nobody when
// Go code outside any task opens it) and returns its handle.
func (h *Host) NewResource(c io.Closer) *Resource {
	return h.NewResourceFor(c, h.current)
}

// NewResourceFor registers c as owned by t; it needs no interpreter, so a
// wait function can register what it opened at once: if the task is
// cancelled before it holds the interpreter again, the resource still
// closes with it.
func (h *Host) NewResourceFor(c io.Closer, t *Task) *Resource {
	r := &Resource{h: h, c: c}
	h.state.Lock()
	if h.shut {
		// Opened as the host shuts down (an accept that returned just
		// then): it would outlive everything, so it closes at once.
		r.closed = true
		h.state.Unlock()
		r.once.Do(func() { c.Close() })
		return r
	}
	h.resources[r] = struct{}{}
	h.state.Unlock()
	r.Give(t)
	return r
}

// Closer is what the resource holds.
func (r *Resource) Closer() io.Closer { return r.c }

// Owner is the task that owns the resource, or nil.
func (r *Resource) Owner() *Task {
	r.h.state.Lock()
	defer r.h.state.Unlock()
	return r.owner
}

// Give makes t the owner (nil: nobody). Giving a closed resource does
// nothing.
func (r *Resource) Give(t *Task) {
	if r.ownerNow.Load() == t {
		return // every receive on a task's own socket: no lock
	}
	h := r.h
	h.state.Lock()
	defer h.state.Unlock()
	if r.closed || r.owner == t {
		return
	}
	if r.owner != nil {
		r.owner.owned.remove(r)
	}
	r.owner = t
	r.ownerNow.Store(t)
	if t != nil {
		t.owned.add(r)
	}
}

// Close closes the resource and forgets it; closing twice is harmless.
func (r *Resource) Close() error {
	var err error
	r.once.Do(func() {
		h := r.h
		h.state.Lock()
		r.closed = true
		if r.owner != nil {
			r.owner.owned.remove(r)
			r.owner = nil
			r.ownerNow.Store(nil)
		}
		delete(h.resources, r)
		h.state.Unlock()
		err = r.c.Close()
	})
	return err
}

// CloseWhenUnreachable closes r once ud (the Lua value that stands for
// it) is garbage: a socket nobody can reach any more cannot be used, so it
// must not hold a file descriptor. ud must not be reachable from r.
func (r *Resource) CloseWhenUnreachable(ud *lua.LUserData) {
	runtime.AddCleanup(ud, func(r *Resource) { r.Close() }, r)
}

// resourceSet is the resources a task owns: a short list (a task owns a
// socket or two: a map would cost an idle connection 200 bytes), or a map
// once it holds many (an accept loop keeping its connections).
type resourceSet struct {
	few  []*Resource
	many map[*Resource]struct{}
}

// setListMax is the most resources a resourceSet keeps in its list.
const setListMax = 8

func (s *resourceSet) add(r *Resource) {
	if s.many != nil {
		s.many[r] = struct{}{}
		return
	}
	if len(s.few) < setListMax {
		s.few = append(s.few, r)
		return
	}
	s.many = make(map[*Resource]struct{}, 2*setListMax)
	for _, x := range s.few {
		s.many[x] = struct{}{}
	}
	s.many[r] = struct{}{}
	s.few = nil
}

func (s *resourceSet) remove(r *Resource) {
	if s.many != nil {
		delete(s.many, r)
		return
	}
	for i, x := range s.few {
		if x == r {
			last := len(s.few) - 1
			s.few[i] = s.few[last]
			s.few[last] = nil
			s.few = s.few[:last]
			return
		}
	}
}

func (s *resourceSet) list() []*Resource {
	if s.many == nil {
		return append([]*Resource(nil), s.few...)
	}
	out := make([]*Resource, 0, len(s.many))
	for r := range s.many {
		out = append(out, r)
	}
	return out
}

// Owned lists the resources t owns.
func (h *Host) Owned(t *Task) []*Resource {
	h.state.Lock()
	defer h.state.Unlock()
	return t.owned.list()
}

// closeOwned closes every resource t still owns.
func (h *Host) closeOwned(t *Task) {
	for _, r := range h.Owned(t) {
		r.Close()
	}
}

// Resourcer is a Lua object that stands for a resource (a socket, or a
// framed socket for its socket): handing it to spawn hands the resource
// to the new task.
type Resourcer interface {
	Resource() *Resource
}

// giveResources hands the resources among args to t.
func (h *Host) giveResources(args []lua.LValue, t *Task) {
	for _, a := range args {
		if ud, ok := a.(*lua.LUserData); ok {
			if r, ok := ud.Value.(Resourcer); ok {
				if res := r.Resource(); res != nil {
					res.Give(t)
				}
			}
		}
	}
}
