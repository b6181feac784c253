package lualib

// The timer module: time through the host's one clock.
//
//	sleep(seconds)             now() -> seconds since epoch (float)
//	monotonic() -> seconds     after(seconds, fn) -> timer
//	every(seconds, fn) -> timer
//	tm:cancel()

import (
	"fmt"
	"time"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/host"
)

// TimerTypeName names the timer userdata's metatable.
const TimerTypeName = "netplay.timer"

// minInterval is the shortest period every() takes.
const minInterval = 0.001

var timerFuncs = map[string]lua.LGFunction{
	"sleep":     timerSleep,
	"now":       timerNow,
	"monotonic": timerMonotonic,
	"after":     timerAfter,
	"every":     timerEvery,
}

var timerMethods = map[string]lua.LGFunction{
	"cancel": timerCancel,
}

// timer is a task that calls a function once or periodically. Its fields
// change only with the interpreter held.
type timer struct {
	task       *host.Task
	interval   float64
	repeat     bool
	inCallback bool // fn is running: cancel lets it finish
	stopped    bool // cancelled: fire no more
}

// OpenTimer is the loader of the timer module.
func OpenTimer(L *lua.LState) int {
	newType(L, TimerTypeName, timerMethods, map[string]lua.LGFunction{"__tostring": timerString})
	L.Push(L.SetFuncs(L.NewTable(), timerFuncs))
	return 1
}

func checkTimer(L *lua.LState, n int) *timer {
	return checkUserData[*timer](L, n, "timer expected")
}

// timerSleep implements sleep(seconds): the calling task waits, the others
// run. sleep(0) lets every other ready task run first; sleep(math.huge)
// waits until the task is cancelled.
func timerSleep(L *lua.LState) int {
	s := checkSeconds(L, 1)
	h := host.Of(L)
	what := "sleep " + host.FormatNumber(s) + "s"
	if s == 0 {
		h.Yield(L)
		return 0
	}
	h.Park(L, what, h.Parker(), optDeadline(L, 1))
	return 0
}

// timerNow implements now() -> seconds since the epoch, as a float with
// microseconds (Python's time.time()).
func timerNow(L *lua.LState) int {
	L.Push(lua.LNumber(float64(host.Of(L).Clock().Now().UnixMicro()) / 1e6))
	return 1
}

// timerMonotonic implements monotonic() -> seconds on a clock that never
// goes back, for measuring intervals.
func timerMonotonic(L *lua.LState) int {
	L.Push(lua.LNumber(host.Of(L).Clock().Monotonic().Seconds()))
	return 1
}

// timerAfter implements after(seconds, fn) -> timer: fn() runs once, as
// its own task, after the delay.
func timerAfter(L *lua.LState) int {
	return startTimer(L, false)
}

// timerEvery implements every(seconds, fn) -> timer: fn() runs every
// interval (on a fixed schedule, so it does not drift) until cancelled or
// until fn raises an error. The interval is at least 0.001 s.
func timerEvery(L *lua.LState) int {
	return startTimer(L, true)
}

func startTimer(L *lua.LState, repeat bool) int {
	interval := checkSeconds(L, 1)
	fn := L.CheckFunction(2)
	if repeat && interval < minInterval {
		L.ArgError(1, fmt.Sprintf("interval must be at least %g s", minInterval))
	}
	tm := &timer{interval: interval, repeat: repeat}
	kind := "after"
	if repeat {
		kind = "every"
	}
	name := kind + " " + host.FormatNumber(interval) + "s"
	h := host.Of(L)
	tm.task = h.SpawnFrom(L, L.NewFunction(tm.run), []lua.LValue{fn}, host.SpawnOptions{Name: name})
	L.Push(newUserData(L, tm, TimerTypeName))
	return 1
}

// run is the timer task's body: wait, call fn, repeat on schedule.
func (tm *timer) run(L *lua.LState) int {
	fn := L.CheckFunction(1)
	h := host.Of(L)
	clock := h.Clock()
	begin := clock.Now()
	period, forever := duration(tm.interval)
	for k := 1; !tm.stopped; k++ {
		var due time.Time
		if !forever {
			due = begin.Add(period * time.Duration(k))
			if late := clock.Now().Sub(due); late > period {
				k += int(late / period) // skip the ticks missed, keep the phase
				due = begin.Add(period * time.Duration(k))
			}
		}
		h.Park(L, "timer", h.Parker(), due)
		tm.inCallback = true
		L.Push(fn)
		L.Call(0, 0)
		tm.inCallback = false
		if !tm.repeat {
			return 0
		}
	}
	return 0
}

// timerCancel implements tm:cancel(): the timer fires no more. Called from
// its own callback, the callback runs to its end.
func timerCancel(L *lua.LState) int {
	tm := checkTimer(L, 1)
	tm.stopped = true
	if !tm.inCallback {
		tm.task.Cancel()
	}
	return 0
}

func timerString(L *lua.LState) int {
	tm := checkTimer(L, 1)
	kind := "after"
	if tm.repeat {
		kind = "every"
	}
	L.Push(lua.LString(fmt.Sprintf("<timer %s %ss %s>", kind, host.FormatNumber(tm.interval), tm.task.Status())))
	return 1
}
