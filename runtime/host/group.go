package host

import (
	"context"

	"netplay/runtime/sched"
)

// Group is a set of tasks cancelled together: a handler and the helper
// tasks it spawned. A task spawned by a member joins the group too.
type Group struct {
	h       *Host
	ctx     context.Context
	cancel  context.CancelFunc
	members map[*Task]struct{} // guarded by h.state
	waiters []*sched.Parker    // touched with the interpreter held
}

// NewGroup returns an empty group.
func (h *Host) NewGroup() *Group {
	ctx, cancel := context.WithCancel(h.ctx)
	return &Group{h: h, ctx: ctx, cancel: cancel, members: make(map[*Task]struct{})}
}

// remove forgets a task that ended; called with the interpreter held (by
// the ending task), so it can wake the group's waiters.
func (g *Group) remove(t *Task) {
	g.h.state.Lock()
	delete(g.members, t)
	empty := len(g.members) == 0
	g.h.state.Unlock()
	if empty {
		for _, p := range g.waiters {
			p.Wake()
		}
		g.waiters = nil
	}
}

// Tasks lists the live members.
func (g *Group) Tasks() []*Task {
	g.h.state.Lock()
	defer g.h.state.Unlock()
	out := make([]*Task, 0, len(g.members))
	for t := range g.members {
		out = append(out, t)
	}
	return out
}

// Len is how many members are alive.
func (g *Group) Len() int {
	g.h.state.Lock()
	defer g.h.state.Unlock()
	return len(g.members)
}

// Cancel cancels every member, those it will spawn included: the group is
// done for.
func (g *Group) Cancel() {
	g.cancel()
	for _, t := range g.Tasks() {
		t.Cancel()
	}
}

// OnEmpty registers p to be woken when the group has no member left.
// Call with the interpreter held, when it has members.
func (g *Group) OnEmpty(p *sched.Parker) { g.waiters = append(g.waiters, p) }

// DropOnEmpty forgets p (a wait that timed out).
func (g *Group) DropOnEmpty(p *sched.Parker) {
	for i, q := range g.waiters {
		if q == p {
			g.waiters = append(g.waiters[:i], g.waiters[i+1:]...)
			return
		}
	}
}

// Descendants lists the live tasks t spawned, and those they spawned, and
// so on (task:cancel{children = true}).
func (h *Host) Descendants(t *Task) []*Task {
	var out []*Task
	for _, u := range h.Tasks() {
		for p := u.parent; p != nil; p = p.parent {
			if p == t {
				out = append(out, u)
				break
			}
		}
	}
	return out
}
