package sched

// queue is a FIFO of Gs (a ring buffer) that can also take one at the
// front.
type queue struct {
	buf  []*G
	head int
	len  int
}

func (q *queue) grow() {
	n := 2 * len(q.buf)
	if n == 0 {
		n = 8
	}
	nb := make([]*G, n)
	for i := 0; i < q.len; i++ {
		nb[i] = q.buf[(q.head+i)%len(q.buf)]
	}
	q.buf, q.head = nb, 0
}

func (q *queue) push(g *G) {
	if q.len == len(q.buf) {
		q.grow()
	}
	q.buf[(q.head+q.len)%len(q.buf)] = g
	q.len++
}

func (q *queue) pushFront(g *G) {
	if q.len == len(q.buf) {
		q.grow()
	}
	q.head = (q.head - 1 + len(q.buf)) % len(q.buf)
	q.buf[q.head] = g
	q.len++
}

func (q *queue) pop() *G {
	if q.len == 0 {
		return nil
	}
	g := q.buf[q.head]
	q.buf[q.head] = nil
	q.head = (q.head + 1) % len(q.buf)
	q.len--
	return g
}

func (q *queue) slice() []*G {
	out := make([]*G, q.len)
	for i := range out {
		out[i] = q.buf[(q.head+i)%len(q.buf)]
	}
	return out
}

// list is an intrusive doubly linked list of Gs (the ones outside), so
// adding and removing never allocates.
type list struct {
	head *G
	len  int
}

func (l *list) add(g *G) {
	g.prev, g.next = nil, l.head
	if l.head != nil {
		l.head.prev = g
	}
	l.head = g
	l.len++
}

func (l *list) remove(g *G) {
	if g.prev != nil {
		g.prev.next = g.next
	} else if l.head == g {
		l.head = g.next
	} else {
		return // not in the list
	}
	if g.next != nil {
		g.next.prev = g.prev
	}
	g.prev, g.next = nil, nil
	l.len--
}
