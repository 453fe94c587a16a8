// The 2-D lab's model-overview graph (as GAN Lab draws it), drawn in the page as SVG from its declaration in
// playground/toy2d/graph.py: noise z → G → fakes → D ← reals, the two losses and the two updates. The part that
// works lights up, one sub-step at a time, with a one-line caption: after Step D / Step G / Step iteration the
// page plays the sub-steps that ran, in order; during slow Play (frames marked "slow") it walks through an
// iteration's sub-steps at reading pace; the dots under the caption show any sub-step on a click.
// Runs in the lab's js_on_load before canvas.js, which calls makeGraph.
function makeGraph(box, spec) {
  const NS = "http://www.w3.org/2000/svg";
  const [W, H] = spec.size;
  const byId = Object.fromEntries(spec.nodes.map((n) => [n.id, n]));
  let steps = [], summary = "", timer = null, mode = "idle", shownLog = [];

  const el = (tag, attrs, parent) => {
    const e = document.createElementNS(NS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  };

  // where the straight line from a box's centre towards (tx, ty) leaves the box
  function border(n, tx, ty) {
    const dx = tx - n.x, dy = ty - n.y;
    const sx = dx ? (n.w / 2 + 3) / Math.abs(dx) : Infinity, sy = dy ? (n.h / 2 + 3) / Math.abs(dy) : Infinity;
    const s = Math.min(sx, sy);
    return [n.x + dx * s, n.y + dy * s];
  }

  function edgePath(e) {
    const a = byId[e.from], b = byId[e.to], via = e.via || [];
    const first = via.length ? via[0] : [b.x, b.y], last = via.length ? via[via.length - 1] : [a.x, a.y];
    const p = border(a, first[0], first[1]), q = border(b, last[0], last[1]);
    const f = (pt) => `${pt[0].toFixed(1)},${pt[1].toFixed(1)}`;
    if (via.length === 1) return `M${f(p)} Q${f(via[0])} ${f(q)}`;
    if (via.length === 2) return `M${f(p)} C${f(via[0])} ${f(via[1])} ${f(q)}`;
    return `M${f(p)} L${f(q)}`;
  }

  // ---- the drawing ----
  box.innerHTML = "";
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "lab2d-graph-svg", role: "img",
    "aria-label": "model overview: noise z, G, fakes, reals, D, the two losses and the two updates" }, box);
  const defs = el("defs", {}, svg);
  for (const [id, cls] of [["lab2d-arrow", "a"], ["lab2d-arrow-on", "a hot"]]) {
    const m = el("marker", { id, viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "10", markerHeight: "10",
      markerUnits: "userSpaceOnUse", orient: "auto-start-reverse" }, defs);
    el("path", { d: "M0,0 L10,5 L0,10 z", class: cls }, m);
  }
  const edges = {}, nodes = {};
  for (const e of spec.edges) {
    const g = el("g", { class: `edge ${e.kind}`, "data-id": e.id }, svg);
    el("path", { d: edgePath(e), "marker-end": "url(#lab2d-arrow)" }, g);
    if (e.label) el("text", { x: e.at[0], y: e.at[1], "text-anchor": "middle" }, g).textContent = e.label;
    edges[e.id] = g;
  }
  for (const n of spec.nodes) {
    const g = el("g", { class: `node ${n.kind}`, "data-id": n.id }, svg);
    el("rect", { x: n.x - n.w / 2, y: n.y - n.h / 2, width: n.w, height: n.h, rx: 8 }, g);
    el("text", { x: n.x, y: n.y - 2, "text-anchor": "middle", class: "l" }, g).textContent = n.label;
    el("text", { x: n.x, y: n.y + 13, "text-anchor": "middle", class: "s" }, g).textContent = n.sub;
    nodes[n.id] = g;
  }
  const cap = document.createElement("div");
  cap.className = "lab2d-graph-cap";
  cap.setAttribute("aria-live", "polite");
  const capT = document.createElement("b"), capC = document.createElement("span");
  cap.append(capT, capC);
  const dots = document.createElement("div");
  dots.className = "lab2d-graph-dots";
  const words = document.createElement("div");
  words.className = "lab2d-graph-words";
  words.append(cap, dots);
  box.append(words);

  // ---- what is lit ----
  function light(on) {
    for (const id in nodes) nodes[id].classList.toggle("on", !!on && on.nodes.includes(id));
    for (const id in edges) edges[id].classList.toggle("on", !!on && on.edges.includes(id));
    for (const id in edges) edges[id].querySelector("path").setAttribute("marker-end",
      edges[id].classList.contains("on") ? "url(#lab2d-arrow-on)" : "url(#lab2d-arrow)");
  }

  function show(s, prefix) {
    light(s);
    capT.textContent = (prefix || "") + s.title + ": ";
    capC.textContent = s.caption;
    for (const d of dots.children) d.classList.toggle("on", d.dataset.id === s.id);
    box.dataset.substep = s.id;
    shownLog.push(s.id);
    box.dataset.shown = shownLog.join(" ");
  }

  function idle(text) {
    light(null);
    svg.classList.remove("playing");
    capT.textContent = "";
    capC.textContent = text === undefined ? summary : text;
    for (const d of dots.children) d.classList.remove("on");
    box.dataset.substep = "";
  }

  function stopTimer() { if (timer) { clearTimeout(timer); timer = null; } }

  function drawDots() {
    dots.innerHTML = "";
    let last = null;
    for (const s of steps) {
      const b = document.createElement("button");
      b.type = "button";
      b.tabIndex = -1; // a mouse shortcut: the keyboard's way through the lab stays short (Step plays them all)
      b.className = `dot ${s.player}` + (last && last !== `${s.player}${s.n}` ? " gap" : "");
      b.dataset.id = s.id;
      b.title = s.title;
      b.setAttribute("aria-label", s.title);
      b.addEventListener("click", () => { stopTimer(); mode = "pick"; svg.classList.remove("playing"); show(s); });
      dots.appendChild(b);
      last = `${s.player}${s.n}`;
    }
  }

  // play a list of sub-steps once, in order (after a Step), ~4.5 s in all at most
  function animate(list) {
    stopTimer();
    svg.classList.remove("playing");
    if (!list.length) { idle(); return; }
    mode = "anim";
    shownLog = [];
    const per = Math.min(450, Math.max(220, 4500 / list.length));
    let i = 0;
    const tick = () => {
      show(list[i]);
      i += 1;
      if (i < list.length) timer = setTimeout(tick, per);
      else { timer = null; mode = "done"; box.dataset.played = String(Number(box.dataset.played || 0) + 1); }
    };
    tick();
  }

  // slow Play: loop over an iteration's sub-steps of the players that train (frames say which: "dg", "d", "g")
  function cycle(players) {
    const list = steps.filter((s) => players.includes(s.player));
    if (mode === "cycle" && box.dataset.cycle === players) return;
    stopTimer();
    svg.classList.remove("playing");
    box.dataset.cycle = players;
    if (!list.length) { mode = "cycle"; idle("Slow Play: both players are frozen, nothing trains."); return; }
    mode = "cycle";
    shownLog = [];
    let i = 0;
    const tick = () => { show(list[i % list.length], "Slow Play, every iteration · "); i += 1; timer = setTimeout(tick, 650); };
    tick();
  }

  function playing() {
    if (mode === "play") return;
    stopTimer();
    mode = "play";
    box.dataset.cycle = "";
    idle("Playing: every frame runs many iterations of all these sub-steps. Set the speed below 20 (slow motion) " +
      "to follow them one at a time, or Pause and Step.");
    svg.classList.add("playing");
  }

  return {
    // the sub-steps of this config's iteration (a value, or a settings change), and maybe what a Step ran
    set(g) {
      if (!g || !g.steps) return;
      steps = g.steps;
      summary = g.summary || "";
      drawDots();
      if (g.ran) animate(g.ran === "it" ? steps : g.ran);
      else if (mode !== "cycle" && mode !== "play") { stopTimer(); mode = "idle"; idle(); }
    },
    // a frame of a playing run
    frame(f) { if (f.slow !== undefined) cycle(f.slow); else playing(); },
    // the run ended (paused, stopped, failed)
    stopped() { if (mode === "cycle" || mode === "play") { stopTimer(); mode = "idle"; box.dataset.cycle = ""; idle(); } },
  };
}
