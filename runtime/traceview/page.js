"use strict";
/* netplay view: draws the model (traceview.Model) as a sequence diagram.
   Only the rows near the visible part are in the DOM, so a trace of tens
   of thousands of events scrolls as fast as a short one. All text goes
   in through textContent: nothing from the trace is ever parsed as HTML. */
(function () {
  const ROW = 30;          /* px per row */
  const GAP = 24;          /* extra px where time jumps */
  const GAP_SECONDS = 0.5; /* how long a pause gets a gap */
  const GUTTER = 104;      /* the time axis */
  const LANE_W = 300;      /* px between lanes */
  const X0 = GUTTER + 150; /* the first lane */
  const RIGHT = 520;       /* room for labels right of the last lane */
  const BAR_H = 8;
  const PX_PER_BYTE = 6;

  const $ = (id) => document.getElementById(id);
  const scroller = $("scroller"), spacer = $("spacer"), diagram = $("diagram");
  const SVG = diagram.namespaceURI;

  const st = {
    title: "", live: false, lanes: [], conns: new Map(), rows: [], index: new Map(),
    hidden: new Set(), vis: [], ys: [], gaps: [], height: 0, selected: -1,
    events: 0, chunks: 0, trimmed: 0, dropped: 0, ended: false, nextSynthetic: -1, follow: false, autoTop: -1, wide: 0,
  };

  function h(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function s(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  const laneX = (id) => X0 + id * LANE_W;
  /* the diagram's width: room for labels right of the last lane, more
     once a label drawn has needed more (it never shrinks, so the page
     does not jump while scrolling) */
  const diagramWidth = () => Math.max(laneX(Math.max(st.lanes.length, 1) - 1) + RIGHT, st.wide);
  const isChunk = (r) => r.kind === "send" || r.kind === "recv";
  const fmtRel = (t) => t.toFixed(6);

  /* ---- applying models (the whole trace, or one live change) ---- */

  /* apply takes in a model; the page is drawn again at the next frame,
     once however many models came in meanwhile (a live trace can send
     thousands a second) */
  let dirty = { layout: false, from: -1, head: false }, redraw = false;
  function apply(m) {
    if (m.reset) {
      st.lanes = []; st.conns.clear(); st.rows = []; st.index.clear(); st.events = 0; st.chunks = 0;
      st.selected = -1; st.dropped = 0;
      $("filters").querySelectorAll("label, button").forEach((e) => e.remove());
      hideHex();
      dirty.layout = true;
    }
    if (m.title) { st.title = m.title; $("title").textContent = m.title; document.title = m.title; }
    if (m.live) st.live = true;
    if (m.trimmed !== undefined) st.trimmed = m.trimmed;
    for (const l of m.lanes || []) { st.lanes[l.id] = l; dirty.head = true; }
    for (const c of m.conns || []) {
      if (!st.conns.has(c.name)) addFilter(c);
      st.conns.set(c.name, c);
      updateFilter(c);
      dirty.head = true;
    }
    if (dirty.from < 0) dirty.from = st.rows.length;
    if (m.dropped) {
      st.dropped += m.dropped;
      const last = st.rows.length ? st.rows[st.rows.length - 1].rel : 0;
      push({ id: st.nextSynthetic--, seq: 0, rel: last, conn: "", kind: "dropped", from: -1, to: -1,
        label: m.dropped + " events dropped here: this page fell behind the live trace" });
    }
    for (const r of m.rows || []) push(r);
    for (const r of m.updates || []) {
      const i = st.index.get(r.id);
      if (i !== undefined) st.rows[i] = r;
    }
    if (!redraw) { redraw = true; requestAnimationFrame(draw); }
  }

  function draw() {
    redraw = false;
    if (dirty.layout) layout(); else if (dirty.from >= 0) extend(dirty.from);
    if (dirty.head || dirty.layout) drawLaneHead();
    dirty = { layout: false, from: -1, head: false };
    drawStatus();
    render(true);
    if (st.follow) {
      scroller.scrollTop = scroller.scrollHeight;
      st.autoTop = scroller.scrollTop; /* the scroll event this causes is ours */
      render(false);
    }
  }

  function push(r) {
    if (r.kind !== "dropped") st.events++;
    if (isChunk(r)) st.chunks++;
    st.index.set(r.id, st.rows.length);
    st.rows.push(r);
  }

  /* ---- layout: the y of every row that passes the filter ---- */

  function layout() {
    st.vis = []; st.ys = []; st.gaps = []; st.height = 0;
    extend(0);
  }

  function extend(from) {
    let y = st.height, prev = st.vis.length ? st.rows[st.vis[st.vis.length - 1]].rel : null;
    for (let i = from; i < st.rows.length; i++) {
      const r = st.rows[i];
      if (r.conn && st.hidden.has(r.conn)) continue;
      let gap = 0;
      if (prev !== null && r.rel - prev >= GAP_SECONDS) { gap = r.rel - prev; y += GAP; }
      y += ROW;
      st.vis.push(i); st.ys.push(y - ROW / 2); st.gaps.push(gap);
      prev = r.rel;
    }
    st.height = y;
    spacer.style.height = (st.height + ROW) + "px";
    spacer.style.width = diagramWidth() + "px";
  }

  /* the first visible row whose y is at least y */
  function bisect(y) {
    let lo = 0, hi = st.ys.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (st.ys[mid] < y) lo = mid + 1; else hi = mid; }
    return lo;
  }

  /* ---- drawing the rows near the viewport ---- */

  let drawn = null, pending = false;
  function render(force) {
    const top = scroller.scrollTop, vh = scroller.clientHeight || 600;
    /* the SVG must not reach past the spacer: it would make the page
       scroll further, and a live view would never be at its end */
    const bottom = st.height + ROW;
    const y1 = Math.min(top + 2 * vh, bottom), y0 = Math.max(0, Math.min(top - vh, y1 - 3 * vh));
    const i0 = bisect(y0 - ROW), i1 = bisect(y1 + ROW);
    if (!force && drawn && drawn.i0 <= bisect(top - ROW) && drawn.i1 >= bisect(top + vh + ROW) && drawn.n === st.vis.length) return;
    drawn = { i0, i1, n: st.vis.length };
    const width = diagramWidth();
    diagram.setAttribute("width", width);
    diagram.setAttribute("height", y1 - y0);
    diagram.style.top = y0 + "px";
    diagram.textContent = "";
    const g = s("g", { transform: "translate(0," + (-y0) + ")" });
    diagram.appendChild(g);
    st.lanes.forEach((l, id) => {
      if (!l) return;
      g.appendChild(s("line", { class: "laneline" + (l.role === "listener" ? " listener" : ""),
        x1: laneX(id), x2: laneX(id), y1: y0, y2: y1 }));
    });
    for (let v = i0; v < i1 && v < st.vis.length; v++) {
      const r = st.rows[st.vis[v]], y = st.ys[v];
      if (st.gaps[v]) drawGap(g, y - ROW / 2 - GAP / 2, st.gaps[v], width);
      if (r.kind !== "dropped") g.appendChild(s("text", { class: "time", x: 8, y: y + 4 }, fmtRel(r.rel)));
      if (isChunk(r) && r.to >= 0 && r.from >= 0) g.appendChild(drawArrow(r, y));
      else if (r.kind === "connect" && r.to >= 0 && r.to !== r.from) g.appendChild(drawLink(r, y));
      else g.appendChild(drawMarker(r, y));
    }
    /* a label longer than the room right of the last lane (a frame's,
       an error's) widens the diagram, so it can be scrolled to, not cut */
    let need = 0;
    for (const t of g.querySelectorAll("text.label")) {
      const b = t.getBBox();
      need = Math.max(need, b.x + b.width + 16);
    }
    if (need > width) {
      st.wide = Math.ceil(need);
      spacer.style.width = $("laneheadin").style.width = st.wide + "px";
      render(true);
    }
  }

  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; render(false); drawLaneHeadScroll(); });
  }

  function drawGap(g, y, secs, width) {
    g.appendChild(s("line", { class: "gapline", x1: GUTTER - 6, x2: width, y1: y, y2: y }));
    g.appendChild(s("text", { class: "gap", x: 8, y: y + 4 }, "+" + secs.toFixed(3) + " s"));
  }

  function rowGroup(r, cls, y, x1, x2) {
    const g = s("g", { class: cls + (r.id === st.selected ? " selected" : ""), "data-id": r.id,
      "data-seq": r.seq, "data-conn": r.conn, "data-kind": r.kind });
    const a = Math.min(x1, x2) - 12, b = Math.max(x1, x2) + 12;
    g.appendChild(s("rect", { class: "hit", x: a, y: y - ROW / 2 + 1, width: b - a, height: ROW - 2, rx: 3 }));
    return g;
  }

  function tooltip(r) {
    const c = st.conns.get(r.conn);
    let t = r.conn + " " + r.label;
    if (c) t += "\n" + (c.local || "?") + " \u2192 " + (c.remote || "?") + (c.proto ? " (" + c.proto + (c.tls ? ", TLS" : "") + ")" : "");
    if (isChunk(r)) t += "\nstream offset " + (r.off || 0) + "\u2013" + ((r.off || 0) + (r.n || 0));
    if (r.task) t += "\n" + r.task;
    t += "\nseq " + r.seq + ", " + fmtRel(r.rel) + " s";
    return t;
  }

  function labelText(r, x, y, anchor) {
    const t = s("text", { class: "label", x, y, "text-anchor": anchor }, r.label);
    if (r.preview) t.appendChild(s("tspan", { class: "pv", dx: 8 }, r.preview));
    return t;
  }

  function arrowHead(x, y, dir, cls) {
    const p = x + "," + y + " " + (x - 8 * dir) + "," + (y - 4) + " " + (x - 8 * dir) + "," + (y + 4);
    return s("polygon", { class: cls || "head", points: p });
  }

  function drawArrow(r, y) {
    const xa = laneX(r.from);
    let xb = laneX(r.to);
    if (xb === xa) xb = xa + LANE_W / 2; /* both ends on one lane */
    const dir = xb > xa ? 1 : -1;
    const g = rowGroup(r, "arrow " + r.kind, y, xa, xb);
    g.appendChild(s("line", { class: "shaft", x1: xa, y1: y, x2: xb - 8 * dir, y2: y }));
    g.appendChild(arrowHead(xb, y, dir));
    /* the chunk as a bar of its bytes, near the end that does the call:
       the sender's for a send, the receiver's for a recv */
    const room = Math.abs(xb - xa) - 40;
    const w = Math.max(10, Math.min(room, (r.n || 0) * PX_PER_BYTE));
    const start = r.kind === "send" ? xa + 12 * dir : xb - 16 * dir - w * dir;
    const left = dir > 0 ? start : start - w;
    drawBar(g, r, left, y + 3, w);
    const mid = (xa + xb) / 2;
    const label = labelText(r, mid, y - 5, "middle");
    label.insertBefore(document.createTextNode(r.conn + " "), label.firstChild);
    g.appendChild(label);
    g.appendChild(s("title", {}, tooltip(r)));
    return g;
  }

  /* drawBar draws bytes [0, n) of the chunk across width w, coloured by
     the frame part they belong to, with [ and ] where frames begin and end */
  function drawBar(g, r, x, y, w) {
    const n = r.n || 0;
    g.appendChild(s("rect", { class: "bar raw", x, y, width: w, height: BAR_H }));
    if (!n) return;
    const at = (i) => x + (w * i) / n;
    for (const seg of r.segs || []) {
      g.appendChild(s("rect", { class: "bar " + seg.p, x: at(seg.a), y, width: Math.max(1, at(seg.b) - at(seg.a)), height: BAR_H }));
    }
    for (const seg of r.segs || []) {
      if (seg.s) {
        const bx = at(seg.a);
        g.appendChild(s("path", { class: "tick start", d: "M" + (bx + 4) + "," + (y - 4) + "H" + bx + "V" + (y + BAR_H + 4) + "H" + (bx + 4) }));
      }
      if (seg.e) {
        const bx = at(seg.b);
        g.appendChild(s("path", { class: "tick end", d: "M" + (bx - 4) + "," + (y - 4) + "H" + bx + "V" + (y + BAR_H + 4) + "H" + (bx - 4) }));
      }
    }
  }

  function drawLink(r, y) {
    const xa = laneX(r.from), xb = laneX(r.to), dir = xb > xa ? 1 : -1;
    const g = rowGroup(r, "link k-" + r.kind, y, xa, xb);
    g.appendChild(s("line", { x1: xa, y1: y, x2: xb - 8 * dir, y2: y }));
    g.appendChild(arrowHead(xb, y, dir));
    g.appendChild(s("text", { x: (xa + xb) / 2, y: y - 5, "text-anchor": "middle" }, r.conn + " " + r.label));
    g.appendChild(s("title", {}, tooltip(r)));
    return g;
  }

  function drawMarker(r, y) {
    const x = r.from >= 0 ? laneX(r.from) : X0;
    const g = rowGroup(r, "marker k-" + r.kind, y, x - 6, x + 200);
    if (r.kind === "frame") {
      g.appendChild(s("rect", { class: "dot", x: x - 6, y: y - 5, width: 12, height: 10, rx: 2 }));
    } else if (r.kind !== "dropped") {
      g.appendChild(s("circle", { class: "dot", cx: x, cy: y, r: 5 }));
    }
    const t = labelText(r, x + 12, y + 4, "start");
    if (r.conn) t.insertBefore(document.createTextNode(r.conn + " "), t.firstChild);
    g.appendChild(t);
    if (r.kind !== "dropped") g.appendChild(s("title", {}, tooltip(r)));
    return g;
  }

  /* ---- lane headers, status, filters ---- */

  function drawLaneHead() {
    const inner = $("laneheadin");
    inner.textContent = "";
    inner.appendChild(h("div", "axislabel", "time (s)"));
    const who = new Map();
    for (const c of st.conns.values()) {
      if (!who.has(c.lane)) who.set(c.lane, []);
      who.get(c.lane).push(c.name);
    }
    st.lanes.forEach((l, id) => {
      if (!l) return;
      const d = h("div", "lanelabel");
      d.style.left = laneX(id) + "px";
      d.appendChild(h("div", "addr", l.addr));
      const names = who.get(id) || [];
      d.appendChild(h("div", "who", (l.role === "listener" ? "listener · " : "") + (names.length ? names.join(" ") : "peer")));
      d.dataset.lane = id;
      inner.appendChild(d);
    });
    inner.style.width = diagramWidth() + "px";
    drawLaneHeadScroll();
  }
  function drawLaneHeadScroll() {
    $("laneheadin").style.transform = "translateX(" + (-scroller.scrollLeft) + "px)";
  }

  function drawStatus() {
    let t = st.events + " events · " + st.chunks + " chunks · " + st.conns.size + " sockets";
    if (st.vis.length !== st.rows.length) t += " · " + st.vis.length + " shown";
    if (st.trimmed) t += " · " + st.trimmed + " earlier events no longer kept";
    if (st.dropped) t += " · " + st.dropped + " dropped";
    const el = $("status");
    el.className = "";
    if (st.live) {
      t = (st.ended ? "live trace ended · " : liveState + " · ") + t;
      el.className = st.ended || liveState !== "live" ? "gone" : "live";
    }
    el.textContent = t;
  }

  function connLabel(c) {
    if (c.role === "listener") return c.name + " " + (c.local || "") + " (listening)";
    return c.name + " " + (c.local || "?") + " \u2192 " + (c.remote || "?") + (c.peer ? " (peer " + c.peer + ")" : "");
  }
  function addFilter(c) {
    const f = $("filters");
    if (!f.querySelector("button")) {
      const all = h("button", "", "all"), none = h("button", "", "none");
      all.type = none.type = "button";
      all.onclick = () => setAll(false);
      none.onclick = () => setAll(true);
      f.appendChild(all); f.appendChild(none);
    }
    const lab = h("label");
    lab.dataset.conn = c.name;
    const box = h("input");
    box.type = "checkbox";
    box.checked = !st.hidden.has(c.name);
    box.dataset.conn = c.name;
    box.onchange = () => {
      if (box.checked) st.hidden.delete(c.name); else st.hidden.add(c.name);
      refilter();
    };
    lab.appendChild(box);
    lab.appendChild(h("span", "", ""));
    f.insertBefore(lab, f.querySelector("button"));
  }
  function updateFilter(c) {
    const lab = $("filters").querySelector('label[data-conn="' + CSS.escape(c.name) + '"] span');
    if (lab) lab.textContent = connLabel(c);
  }
  function setAll(hide) {
    for (const name of st.conns.keys()) if (hide) st.hidden.add(name); else st.hidden.delete(name);
    $("filters").querySelectorAll("input[type=checkbox]").forEach((b) => { b.checked = !hide; });
    refilter();
  }
  function refilter() {
    layout();
    drawStatus();
    render(true);
  }

  /* ---- the hex dump ---- */

  function bytesOf(r) {
    if (!r.data) return new Uint8Array(0);
    const bin = atob(r.data);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  /* hexLines: xxd's layout (offset, 16 bytes in groups of two, ASCII),
     the offsets counted in the stream; each line a list of [text, class] */
  function hexLines(bytes, base, partOf) {
    const lines = [];
    for (let i = 0; i < bytes.length; i += 16) {
      const line = [[(base + i).toString(16).padStart(8, "0") + ": ", ""]];
      let width = 0;
      const pieces = [];
      for (let j = 0; j < 16 && i + j < bytes.length; j++) {
        pieces.push([bytes[i + j].toString(16).padStart(2, "0") + (j % 2 === 1 ? " " : ""), partOf(i + j)]);
        width += j % 2 === 1 ? 3 : 2;
      }
      line.push(...pieces);
      line.push([" ".repeat(40 - width) + " ", ""]);
      for (let j = 0; j < 16 && i + j < bytes.length; j++) {
        const c = bytes[i + j];
        line.push([c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : ".", partOf(i + j)]);
      }
      lines.push(line);
    }
    return lines;
  }

  function showHex(r) {
    const bytes = bytesOf(r);
    const part = new Array(bytes.length).fill("");
    for (const seg of r.segs || []) for (let i = seg.a; i < seg.b && i < part.length; i++) part[i] = seg.p;
    const pre = $("hex");
    pre.textContent = "";
    hexLines(bytes, r.off || 0, (i) => part[i]).forEach((line, k) => {
      if (k) pre.appendChild(document.createTextNode("\n"));
      /* runs of one class share a span */
      let text = "", cls = null;
      const flush = () => {
        if (!text) return;
        if (cls) pre.appendChild(h("span", cls, text)); else pre.appendChild(document.createTextNode(text));
        text = "";
      };
      for (const [t, c] of line) { if (c !== cls) { flush(); cls = c; } text += t; }
      flush();
    });
    if (!bytes.length) pre.textContent = "(no bytes in the trace for this event)";
    const off = r.off || 0;
    let head = r.conn + " " + r.label + " · stream bytes " + off + "\u2013" + (off + (r.n || 0)) + " · seq " + r.seq + " · " + fmtRel(r.rel) + " s";
    if (r.cut) head += " · the " + r.cut + " bytes after these are not kept (by the trace or to keep the page small)";
    const frames = [...new Set((r.segs || []).map((x) => x.f))];
    if (frames.length && isChunk(r)) head += " · frames " + frames.join(", ");
    $("hexhead").textContent = head;
    $("hexpanel").hidden = false;
  }
  function hideHex() { $("hexpanel").hidden = true; }

  /* select shows the bytes of row r, and keeps r in view: the hex panel
     takes its room from the diagram, so a row near the bottom would go
     under it. A row in view stays where it is. */
  function select(r) {
    st.selected = r.id;
    showHex(r);
    const v = visIndex(st.index.get(r.id));
    if (v >= 0) reveal(v);
    render(true);
  }

  /* visIndex is the place of row i among the visible rows, or -1 */
  function visIndex(i) {
    let lo = 0, hi = st.vis.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (st.vis[mid] < i) lo = mid + 1; else hi = mid; }
    return lo < st.vis.length && st.vis[lo] === i ? lo : -1;
  }

  /* reveal scrolls visible row v a third of the way down the diagram,
     unless the whole row is in view already */
  function reveal(v) {
    const y = st.ys[v], top = scroller.scrollTop, vh = scroller.clientHeight;
    if (y - ROW / 2 >= top && y + ROW / 2 <= top + vh) return;
    scroller.scrollTop = Math.max(0, y - vh / 3);
  }
  diagram.addEventListener("click", (ev) => {
    const g = ev.target.closest("[data-id]");
    if (!g) return;
    const i = st.index.get(Number(g.dataset.id));
    if (i !== undefined) select(st.rows[i]);
  });

  /* #seq-N in the address: scroll to that event and show its bytes, so a
     link can point at one event */
  function showSeq() {
    const m = /^#seq-(\d+)$/.exec(location.hash);
    if (!m) return;
    const seq = Number(m[1]);
    const v = st.vis.findIndex((i) => st.rows[i].seq === seq);
    if (v >= 0) select(st.rows[st.vis[v]]);
  }
  window.addEventListener("hashchange", showSeq);
  $("hexclose").addEventListener("click", () => { st.selected = -1; hideHex(); render(true); });
  /* A live view follows the trace while it is scrolled to its end: moving
     away stops that, coming back starts it again. */
  scroller.addEventListener("scroll", () => {
    if (scroller.scrollTop !== st.autoTop) {
      st.follow = st.live && scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - ROW * 2;
    }
    schedule();
  }, { passive: true });
  window.addEventListener("resize", schedule);

  /* ---- live ---- */

  let liveState = "connecting";
  function connectLive() {
    const es = new EventSource("events");
    es.addEventListener("open", () => { liveState = "live"; drawStatus(); });
    es.addEventListener("model", (ev) => apply(JSON.parse(ev.data)));
    es.addEventListener("end", () => { es.close(); st.ended = true; drawStatus(); });
    es.addEventListener("error", () => { if (!st.ended) { liveState = "reconnecting"; drawStatus(); } });
  }

  const model = JSON.parse($("model").textContent);
  apply(model);
  draw();
  if (model.live) { st.follow = true; connectLive(); }
  showSeq();
  document.body.dataset.readyMs = performance.now().toFixed(0); /* for the tests */
  document.body.dataset.ready = "1";
})();
