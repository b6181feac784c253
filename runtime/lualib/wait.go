package lualib

// wait_any and wait_all: wait for the first of several things, or for all
// of them (what a select is for).
//
//	wait_any(list[, timeout]) -> index, results... | nil, "timeout"
//	wait_all(list[, timeout]) -> {results} | nil, "timeout"
//
// Each item of list is a task (its end: what join gives), a queue (one
// item got from it) or an event (set: true).

import (
	"time"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/host"
	"netplay/runtime/sched"
)

// waitable is one item of a wait_any or wait_all list.
type waitable interface {
	// ready pushes the item's results and returns their count when it is
	// ready now (taking a queue's item), or -1.
	ready(L *lua.LState) int
	// arm makes w wake when the item becomes ready; disarm undoes it.
	arm(w *waiter)
	disarm(w *waiter)
}

type taskItem struct{ t *host.Task }

func (it taskItem) ready(L *lua.LState) int {
	if !it.t.Ended() {
		return -1
	}
	return pushResult(L, it.t)
}
func (it taskItem) arm(w *waiter)    { it.t.OnEnd(w.p) }
func (it taskItem) disarm(w *waiter) { it.t.DropOnEnd(w.p) }

type queueItem struct{ q *queue }

func (it queueItem) ready(L *lua.LState) int {
	v, ok := it.q.take()
	if !ok {
		if it.q.closed {
			return pushFailure(L, "closed")
		}
		return -1
	}
	L.Push(v)
	return 1
}
func (it queueItem) arm(w *waiter)    { it.q.getters.push(w) }
func (it queueItem) disarm(w *waiter) { it.q.getters.remove(w) }

type eventItem struct{ ev *event }

func (it eventItem) ready(L *lua.LState) int {
	if !it.ev.set {
		return -1
	}
	L.Push(lua.LTrue)
	return 1
}
func (it eventItem) arm(w *waiter)    { it.ev.waiters.push(w) }
func (it eventItem) disarm(w *waiter) { it.ev.waiters.remove(w) }

// checkWaitables reads the list at argument n.
func checkWaitables(L *lua.LState, n int) []waitable {
	list := L.CheckTable(n)
	var items []waitable
	for i := 1; i <= list.Len(); i++ {
		ud, ok := list.RawGetInt(i).(*lua.LUserData)
		if !ok {
			L.ArgError(n, "list items must be tasks, queues or events")
		}
		switch v := ud.Value.(type) {
		case *host.Task:
			items = append(items, taskItem{v})
		case *queue:
			items = append(items, queueItem{v})
		case *event:
			items = append(items, eventItem{v})
		default:
			L.ArgError(n, "list items must be tasks, queues or events")
		}
	}
	if len(items) == 0 {
		L.ArgError(n, "the list is empty")
	}
	return items
}

// waitAny waits for the first ready item of items and pushes its results;
// it returns the item's index (0-based) and the count, or -1 when the
// deadline passed first.
func waitAny(L *lua.LState, items []waitable, deadline time.Time) (index, n int) {
	for {
		for i, it := range items {
			if n := it.ready(L); n >= 0 {
				return i, n
			}
		}
		h := host.Of(L)
		p := h.Parker()
		waiters := make([]*waiter, len(items))
		for i, it := range items {
			waiters[i] = &waiter{p: p}
			it.arm(waiters[i])
		}
		r := h.Park(L, "wait_any", p, deadline)
		for i, it := range items {
			it.disarm(waiters[i])
		}
		if r == sched.TimedOut {
			return -1, 0
		}
		if w, ok := p.Value.(*waiter); ok {
			for i := range waiters {
				if waiters[i] == w && w.got != nil {
					if _, isQueue := items[i].(queueItem); isQueue {
						L.Push(w.got) // the queue handed its item straight over
						return i, 1
					}
				}
			}
		}
		// A task ended, an event was set or a queue closed: look again.
	}
}

// syncWaitAny implements wait_any(list[, timeout]) -> index, results... |
// nil, "timeout": the first item of list to be ready, in list order when
// several are ready at once.
func syncWaitAny(L *lua.LState) int {
	items := checkWaitables(L, 1)
	deadline := optDeadline(L, 2)
	i, n := waitAny(L, items, deadline)
	if i < 0 {
		return pushFailure(L, "timeout")
	}
	L.Insert(lua.LNumber(i+1), L.GetTop()-n+1)
	return n + 1
}

// syncWaitAll implements wait_all(list[, timeout]) -> {results} | nil,
// "timeout": waits for every item; results[i] is a table of what item i
// gave ({n = count, ...}, as table.pack makes). On timeout, items got from
// queues are put back at their front.
func syncWaitAll(L *lua.LState) int {
	items := checkWaitables(L, 1)
	deadline := optDeadline(L, 2)
	results := L.CreateTable(len(items), 0)
	for i, it := range items {
		base := L.GetTop()
		j, n := waitAny(L, []waitable{it}, deadline)
		if j < 0 {
			putBack(L, items[:i], results)
			return pushFailure(L, "timeout")
		}
		packed := L.CreateTable(n, 1)
		for k := 1; k <= n; k++ {
			packed.RawSetInt(k, L.Get(base+k))
		}
		packed.RawSetString("n", lua.LNumber(n))
		L.SetTop(base)
		results.RawSetInt(i+1, packed)
	}
	L.Push(results)
	return 1
}

// putBack returns the items wait_all got from queues before it timed out
// to the front of their queues.
func putBack(L *lua.LState, items []waitable, results *lua.LTable) {
	for i := len(items) - 1; i >= 0; i-- {
		it, ok := items[i].(queueItem)
		if !ok {
			continue
		}
		if packed, ok := results.RawGetInt(i + 1).(*lua.LTable); ok && packed.RawGetInt(1) != lua.LNil {
			it.q.items = append([]lua.LValue{packed.RawGetInt(1)}, it.q.items...)
		}
	}
}
