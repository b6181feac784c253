package lualib

// The sync module: tools for tasks that work together. Every wait is
// first come, first served.
//
//	sync.queue([max]) -> q         q:put(v[, timeout]) q:get([timeout])
//	                               q:try_put(v) q:try_get() q:close() #q q:len()
//	sync.event() -> ev             ev:set() ev:clear() ev:is_set() ev:wait([timeout])
//	sync.lock() -> lk              lk:acquire([timeout]) lk:release() lk:with(fn, ...) lk:locked()
//	sync.group() -> g              g:spawn(fn, ...) g:cancel() g:wait([timeout]) #g g:len()
//	wait_any(list[, timeout])      (also sync.wait_any) -> index, results... | nil, "timeout"
//	wait_all(list[, timeout])      (also sync.wait_all) -> {results} | nil, "timeout"

import (
	"fmt"
	"math"
	"time"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/host"
	"netplay/runtime/sched"
)

// Type names of the sync module's metatables.
const (
	QueueTypeName = "netplay.queue"
	EventTypeName = "netplay.event"
	LockTypeName  = "netplay.lock"
	GroupTypeName = "netplay.group"
)

// DefaultQueueMax bounds a queue made without a size.
const DefaultQueueMax = 1024

var syncFuncs = map[string]lua.LGFunction{
	"queue":    syncQueue,
	"event":    syncEvent,
	"lock":     syncLock,
	"group":    syncGroup,
	"wait_any": syncWaitAny,
	"wait_all": syncWaitAll,
}

var queueMethods = map[string]lua.LGFunction{
	"put":     queuePut,
	"get":     queueGet,
	"try_put": queueTryPut,
	"try_get": queueTryGet,
	"close":   queueClose,
	"len":     queueLen,
}

var eventMethods = map[string]lua.LGFunction{
	"set":    eventSet,
	"clear":  eventClear,
	"is_set": eventIsSet,
	"wait":   eventWait,
}

var lockMethods = map[string]lua.LGFunction{
	"acquire": lockAcquire,
	"release": lockRelease,
	"with":    lockWith,
	"locked":  lockLocked,
}

var groupMethods = map[string]lua.LGFunction{
	"spawn":  groupSpawn,
	"cancel": groupCancel,
	"wait":   groupWait,
	"len":    groupLen,
}

// OpenSync is the loader of the sync module.
func OpenSync(L *lua.LState) int {
	newType(L, QueueTypeName, queueMethods, map[string]lua.LGFunction{"__tostring": queueString, "__len": queueLen})
	newType(L, EventTypeName, eventMethods, map[string]lua.LGFunction{"__tostring": eventString})
	newType(L, LockTypeName, lockMethods, map[string]lua.LGFunction{"__tostring": lockString})
	newType(L, GroupTypeName, groupMethods, map[string]lua.LGFunction{"__tostring": groupString, "__len": groupLen})
	L.Push(L.SetFuncs(L.NewTable(), syncFuncs))
	return 1
}

// waiter is a task waiting in a queue, an event or a lock, with what it
// hands over (a put) or receives (a get). Several waiters may share one
// parker (wait_any): the first wake-up wins and names its waiter.
type waiter struct {
	p     *sched.Parker
	value lua.LValue // what a put hands over
	got   lua.LValue // what the wake-up handed to it
}

// wake ends w's wait handing it v; false if the wait had already ended
// (timed out, cancelled, or woken through another waiter), in which case
// v was not taken.
func (w *waiter) wake(v lua.LValue) bool {
	if !w.p.Wake() {
		return false
	}
	w.got = v
	w.p.Value = w
	return true
}

// fifo is a first-in first-out list of waiters.
type fifo []*waiter

func (f *fifo) push(w *waiter) { *f = append(*f, w) }

func (f *fifo) pop() *waiter {
	if len(*f) == 0 {
		return nil
	}
	w := (*f)[0]
	(*f)[0] = nil
	*f = (*f)[1:]
	return w
}

func (f *fifo) remove(w *waiter) {
	for i, x := range *f {
		if x == w {
			*f = append((*f)[:i], (*f)[i+1:]...)
			return
		}
	}
}

// park waits in list for a wake-up; it returns the value handed over and
// true, or false when the timeout passed first.
func park(L *lua.LState, list *fifo, what string, deadline time.Time, value lua.LValue) (lua.LValue, bool) {
	h := host.Of(L)
	w := &waiter{p: h.Parker(), value: value}
	list.push(w)
	if h.Park(L, what, w.p, deadline) == sched.TimedOut {
		list.remove(w)
		return nil, false
	}
	return w.got, true
}

// queue is a bounded FIFO of Lua values between tasks.
type queue struct {
	items   []lua.LValue
	max     int
	closed  bool
	getters fifo // tasks waiting for an item
	putters fifo // tasks waiting for room, with their item
}

func checkQueue(L *lua.LState, n int) *queue { return checkUserData[*queue](L, n, "queue expected") }

// syncQueue implements sync.queue([max]) -> q: max items at most (default
// 1024; math.huge for no bound).
func syncQueue(L *lua.LState) int {
	max := DefaultQueueMax
	if L.Get(1) != lua.LNil {
		n := float64(L.CheckNumber(1))
		switch {
		case n != n || n < 1 || (n != math.Floor(n) && !math.IsInf(n, 1)):
			L.ArgError(1, "max must be a whole number >= 1")
		case n >= math.MaxInt32:
			max = math.MaxInt
		default:
			max = int(n)
		}
	}
	L.Push(newUserData(L, &queue{max: max}, QueueTypeName))
	return 1
}

// checkItem reads the value to put at n: anything but nil.
func checkItem(L *lua.LState, n int) lua.LValue {
	v := L.Get(n)
	if v == lua.LNil {
		L.ArgError(n, "a queue cannot hold nil")
	}
	return v
}

// offer puts v in the queue without waiting: straight to the first waiting
// getter, else at the tail when there is room. false when it is full.
func (q *queue) offer(v lua.LValue) bool {
	for {
		w := q.getters.pop()
		if w == nil {
			break
		}
		if w.wake(v) {
			return true
		}
	}
	if len(q.items) >= q.max {
		return false
	}
	q.items = append(q.items, v)
	return true
}

// take removes the head item without waiting, letting the first waiting
// putter in; ok is false when the queue is empty.
func (q *queue) take() (lua.LValue, bool) {
	if len(q.items) == 0 {
		for {
			w := q.putters.pop()
			if w == nil {
				return nil, false
			}
			if w.wake(lua.LTrue) {
				return w.value, true
			}
		}
	}
	v := q.items[0]
	q.items[0] = nil
	q.items = q.items[1:]
	for len(q.items) < q.max {
		w := q.putters.pop()
		if w == nil {
			break
		}
		if w.wake(lua.LTrue) {
			q.items = append(q.items, w.value)
		}
	}
	return v, true
}

// pushFailure pushes nil and why an operation failed.
func pushFailure(L *lua.LState, why string) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(why))
	return 2
}

// queuePut implements q:put(v[, timeout]) -> true | nil, "timeout" |
// nil, "closed": waits while the queue is full.
func queuePut(L *lua.LState) int {
	q := checkQueue(L, 1)
	v := checkItem(L, 2)
	deadline := optDeadline(L, 3)
	if q.closed {
		return pushFailure(L, "closed")
	}
	if q.offer(v) {
		L.Push(lua.LTrue)
		return 1
	}
	got, ok := park(L, &q.putters, "queue put", deadline, v)
	switch {
	case !ok:
		return pushFailure(L, "timeout")
	case got == lua.LFalse: // closed while waiting
		return pushFailure(L, "closed")
	}
	L.Push(lua.LTrue)
	return 1
}

// queueGet implements q:get([timeout]) -> v | nil, "timeout" | nil,
// "closed": waits while the queue is empty; after close, what is queued
// still comes out first.
func queueGet(L *lua.LState) int {
	q := checkQueue(L, 1)
	deadline := optDeadline(L, 2)
	if v, ok := q.take(); ok {
		L.Push(v)
		return 1
	}
	if q.closed {
		return pushFailure(L, "closed")
	}
	v, ok := park(L, &q.getters, "queue get", deadline, nil)
	switch {
	case !ok:
		return pushFailure(L, "timeout")
	case v == nil:
		return pushFailure(L, "closed")
	}
	L.Push(v)
	return 1
}

// queueTryPut implements q:try_put(v) -> true | nil, "full" | nil, "closed".
func queueTryPut(L *lua.LState) int {
	q := checkQueue(L, 1)
	v := checkItem(L, 2)
	switch {
	case q.closed:
		return pushFailure(L, "closed")
	case !q.offer(v):
		return pushFailure(L, "full")
	}
	L.Push(lua.LTrue)
	return 1
}

// queueTryGet implements q:try_get() -> v | nil, "empty" | nil, "closed".
func queueTryGet(L *lua.LState) int {
	q := checkQueue(L, 1)
	if v, ok := q.take(); ok {
		L.Push(v)
		return 1
	}
	if q.closed {
		return pushFailure(L, "closed")
	}
	return pushFailure(L, "empty")
}

// queueClose implements q:close(): every waiting task wakes with nil,
// "closed"; later puts fail; gets drain what is queued, then fail.
func queueClose(L *lua.LState) int {
	q := checkQueue(L, 1)
	q.closed = true
	for w := q.getters.pop(); w != nil; w = q.getters.pop() {
		w.wake(nil)
	}
	for w := q.putters.pop(); w != nil; w = q.putters.pop() {
		w.wake(lua.LFalse)
	}
	return 0
}

// queueLen implements q:len() and #q: how many items are queued.
func queueLen(L *lua.LState) int {
	L.Push(lua.LNumber(len(checkQueue(L, 1).items)))
	return 1
}

func queueString(L *lua.LState) int {
	q := checkQueue(L, 1)
	state := ""
	if q.closed {
		state = " closed"
	}
	max := "no bound"
	if q.max != math.MaxInt {
		max = fmt.Sprintf("max %d", q.max)
	}
	L.Push(lua.LString(fmt.Sprintf("<queue %d items, %s%s>", len(q.items), max, state)))
	return 1
}

// event is a flag tasks can wait for.
type event struct {
	set     bool
	waiters fifo
}

func checkEvent(L *lua.LState, n int) *event { return checkUserData[*event](L, n, "event expected") }

// syncEvent implements sync.event() -> ev, not set.
func syncEvent(L *lua.LState) int {
	L.Push(newUserData(L, &event{}, EventTypeName))
	return 1
}

// eventSet implements ev:set(): every waiting task wakes; later waits
// return at once until clear.
func eventSet(L *lua.LState) int {
	ev := checkEvent(L, 1)
	ev.set = true
	for w := ev.waiters.pop(); w != nil; w = ev.waiters.pop() {
		w.wake(lua.LTrue)
	}
	return 0
}

// eventClear implements ev:clear().
func eventClear(L *lua.LState) int {
	checkEvent(L, 1).set = false
	return 0
}

// eventIsSet implements ev:is_set() -> boolean.
func eventIsSet(L *lua.LState) int {
	L.Push(lua.LBool(checkEvent(L, 1).set))
	return 1
}

// eventWait implements ev:wait([timeout]) -> true | nil, "timeout".
func eventWait(L *lua.LState) int {
	ev := checkEvent(L, 1)
	deadline := optDeadline(L, 2)
	if !ev.set {
		if _, ok := park(L, &ev.waiters, "event", deadline, nil); !ok {
			return pushFailure(L, "timeout")
		}
	}
	L.Push(lua.LTrue)
	return 1
}

func eventString(L *lua.LState) int {
	state := "clear"
	if checkEvent(L, 1).set {
		state = "set"
	}
	L.Push(lua.LString("<event " + state + ">"))
	return 1
}

// lock gives one task at a time exclusive use of something across waits
// (several tasks writing multi-part messages to one socket).
type lock struct {
	holder  *host.Task
	waiters fifo
}

func checkLock(L *lua.LState, n int) *lock { return checkUserData[*lock](L, n, "lock expected") }

// syncLock implements sync.lock() -> lk, free.
func syncLock(L *lua.LState) int {
	L.Push(newUserData(L, &lock{}, LockTypeName))
	return 1
}

// acquire takes lk for the running task, waiting for it: true, or false
// when the deadline passed first.
func (lk *lock) acquire(L *lua.LState, deadline time.Time) bool {
	t := host.Of(L).Current()
	if lk.holder == t {
		L.RaiseError("lock is already held by this task")
	}
	if lk.holder == nil {
		lk.take(t)
		return true
	}
	_, ok := park(L, &lk.waiters, "lock", deadline, nil)
	return ok // the releaser made us the holder
}

// take makes t the holder; a task that ends holding the lock lets go of it.
func (lk *lock) take(t *host.Task) {
	lk.holder = t
	t.Hold(lk, func() { lk.handOver() })
}

// release lets go of lk; it raises unless the caller holds it.
func (lk *lock) release(L *lua.LState) {
	t := host.Of(L).Current()
	if lk.holder != t {
		L.RaiseError("lock is not held by this task")
	}
	t.Unhold(lk)
	lk.handOver()
}

// handOver gives lk to the first task still waiting for it, or frees it.
func (lk *lock) handOver() {
	lk.holder = nil
	for w := lk.waiters.pop(); w != nil; w = lk.waiters.pop() {
		if w.p.Woken() {
			continue // timed out or cancelled meanwhile
		}
		next := host.TaskOfParker(w.p)
		if w.wake(lua.LTrue) {
			lk.take(next)
			return
		}
	}
}

// lockAcquire implements lk:acquire([timeout]) -> true | nil, "timeout".
func lockAcquire(L *lua.LState) int {
	lk := checkLock(L, 1)
	if !lk.acquire(L, optDeadline(L, 2)) {
		return pushFailure(L, "timeout")
	}
	L.Push(lua.LTrue)
	return 1
}

// lockRelease implements lk:release(); raises unless the caller holds it.
func lockRelease(L *lua.LState) int {
	checkLock(L, 1).release(L)
	return 0
}

// lockWith implements lk:with(fn, ...) -> fn's results: fn runs holding
// the lock, which is released even when fn raises (the error goes on).
func lockWith(L *lua.LState) int {
	lk := checkLock(L, 1)
	fn := L.CheckFunction(2)
	lk.acquire(L, time.Time{})
	nargs := L.GetTop() - 2
	base := L.GetTop() - nargs - 1
	L.Insert(fn, base+1)
	err := L.PCall(nargs, lua.MultRet, nil)
	lk.release(L)
	if err != nil {
		L.Error(host.ErrorValue(err), 0)
	}
	return L.GetTop() - base
}

// lockLocked implements lk:locked() -> boolean.
func lockLocked(L *lua.LState) int {
	L.Push(lua.LBool(checkLock(L, 1).holder != nil))
	return 1
}

func lockString(L *lua.LState) int {
	lk := checkLock(L, 1)
	state := "free"
	if lk.holder != nil {
		state = fmt.Sprintf("held by task %d", lk.holder.ID())
	}
	L.Push(lua.LString("<lock " + state + ">"))
	return 1
}

func checkGroup(L *lua.LState, n int) *host.Group {
	return checkUserData[*host.Group](L, n, "group expected")
}

// syncGroup implements sync.group() -> g: tasks cancelled together.
func syncGroup(L *lua.LState) int {
	L.Push(newUserData(L, host.Of(L).NewGroup(), GroupTypeName))
	return 1
}

// groupSpawn implements g:spawn(fn, ...) -> task: spawn, in the group;
// the tasks it spawns join the group too.
func groupSpawn(L *lua.LState) int {
	g := checkGroup(L, 1)
	fn := L.CheckFunction(2)
	args := make([]lua.LValue, 0, L.GetTop()-2)
	for i := 3; i <= L.GetTop(); i++ {
		args = append(args, L.Get(i))
	}
	t := host.Of(L).SpawnFrom(L, fn, args, host.SpawnOptions{Name: funcName(fn, args), Group: g})
	PushTask(L, t)
	return 1
}

// groupCancel implements g:cancel(): every task of the group stops (and
// closes the sockets it owns); later g:spawn calls start cancelled.
func groupCancel(L *lua.LState) int {
	checkGroup(L, 1).Cancel()
	return 0
}

// groupWait implements g:wait([timeout]) -> true | nil, "timeout": waits
// until every task of the group has ended.
func groupWait(L *lua.LState) int {
	g := checkGroup(L, 1)
	deadline := optDeadline(L, 2)
	if g.Len() > 0 {
		h := host.Of(L)
		p := h.Parker()
		g.OnEmpty(p)
		if h.Park(L, "group", p, deadline) == sched.TimedOut {
			g.DropOnEmpty(p)
			return pushFailure(L, "timeout")
		}
	}
	L.Push(lua.LTrue)
	return 1
}

// groupLen implements g:len() and #g: how many tasks are alive.
func groupLen(L *lua.LState) int {
	L.Push(lua.LNumber(checkGroup(L, 1).Len()))
	return 1
}

func groupString(L *lua.LState) int {
	L.Push(lua.LString(fmt.Sprintf("<group %d tasks>", checkGroup(L, 1).Len())))
	return 1
}
