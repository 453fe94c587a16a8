// The 2-D GAN lab's pictures, drawn in the page from compact frames (playground/toy2d/frames.py).
// Runs as gr.HTML's js_on_load: `element`, `props`, `server`, `watch` come from Gradio.
// props.value is a JSON string: {frame} (draw it once) or {token, state: "running"} (a run is playing:
// pull its frames one at a time (nextFrame), asking for the next only when this one is drawn).
const P = props.palette;
const SIZE = props.size;
const cD = element.querySelector("canvas.lab2d-d");
const cS = element.querySelector("canvas.lab2d-ds");
const statusEl = element.querySelector(".lab2d-status");
const chartsEl = element.querySelector(".lab2d-charts");
const charts = makeCharts(chartsEl);
// The projector view (?big=1, body.gp-big): the model graph and the charts sit beside the two pictures, in a
// third column (where one chart shows)
const graphEl = element.querySelector(".lab2d-graph");
const side = document.createElement("div");
side.className = "lab2d-side";
function projector() {
  const row = element.querySelector(".lab2d-row");
  const big = document.body.classList.contains("gp-big");
  if (big && side.parentNode !== row) { side.append(graphEl, chartsEl); row.appendChild(side); }
  if (!big && side.parentNode === row) { statusEl.after(graphEl); row.after(chartsEl); side.remove(); }
}
new MutationObserver(projector).observe(document.body, { attributes: true, attributeFilter: ["class"] });
projector();
const graph = makeGraph(graphEl, props.model_graph);
graph.set(props.graph); // this config's sub-steps (a settings change sends new ones: watch("graph") below)
const off = document.createElement("canvas");
let current = null; // token of the run being pulled
let real = null; // the real data never moves: it comes with a run's first frame
let man = null, arr = null; // a crowded server sends the manifold and the arrows every other frame: keep the last
let labels = null; // a conditional G's: the label each fake was asked for and the labels' colours (a run's first frame)
const captions = element.querySelectorAll("figure.toy2d-frame figcaption");
element.dataset.frames = "0";

function bytes(s) {
  const bin = atob(s);
  const u = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) u[i] = bin.charCodeAt(i);
  return u;
}
const u16 = (s) => { const b = bytes(s); return new Uint16Array(b.buffer, 0, b.length >> 1); };
const i8 = (s) => { const b = bytes(s); return new Int8Array(b.buffer); };

function ramp(v, lo, mid, hi, out, j) { // purple – white – green, white at mid (render.colour_map)
  const up = Math.min(Math.max((v - mid) / Math.max(hi - mid, 1e-12), 0), 1);
  const down = Math.min(Math.max((mid - v) / Math.max(mid - lo, 1e-12), 0), 1);
  for (let k = 0; k < 3; k++) out[j + k] = P.mid[k] + up * (P.hi[k] - P.mid[k]) + down * (P.lo[k] - P.mid[k]);
  out[j + 3] = 255;
}

function surface(ctx, q, n, lo, mid, hi) {
  off.width = n; off.height = n;
  const octx = off.getContext("2d");
  const img = octx.createImageData(n, n);
  const vals = new Float32Array(n * n);
  for (let r = 0; r < n; r++) { // grid row 0 is the lowest y: the canvas's bottom row
    for (let c = 0; c < n; c++) {
      const v = lo + (q[r * n + c] / 255) * (hi - lo);
      vals[r * n + c] = v;
      ramp(v, lo, mid, hi, img.data, ((n - 1 - r) * n + c) * 4);
    }
  }
  octx.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(off, 0, 0, n, n, 0, 0, SIZE, SIZE); // the smooth upsampled surface
  contour(ctx, vals, n, mid);
}

function contour(ctx, v, n, level) { // marching squares: the decision boundary D = level
  const s = SIZE / n;
  const X = (c) => (c + 0.5) * s, Y = (r) => (n - 1 - r + 0.5) * s;
  ctx.beginPath();
  for (let r = 0; r < n - 1; r++) {
    for (let c = 0; c < n - 1; c++) {
      const a = v[r * n + c], b = v[r * n + c + 1], d = v[(r + 1) * n + c], e = v[(r + 1) * n + c + 1];
      const pts = [];
      const cut = (p, q, x0, y0, x1, y1) => {
        if ((p >= level) !== (q >= level)) { const t = (level - p) / (q - p); pts.push([x0 + t * (x1 - x0), y0 + t * (y1 - y0)]); }
      };
      cut(a, b, X(c), Y(r), X(c + 1), Y(r));
      cut(b, e, X(c + 1), Y(r), X(c + 1), Y(r + 1));
      cut(e, d, X(c + 1), Y(r + 1), X(c), Y(r + 1));
      cut(d, a, X(c), Y(r + 1), X(c), Y(r));
      for (let k = 0; k + 1 < pts.length; k += 2) { ctx.moveTo(pts[k][0], pts[k][1]); ctx.lineTo(pts[k + 1][0], pts[k + 1][1]); }
    }
  }
  ctx.strokeStyle = `rgb(${P.contour})`;
  ctx.lineWidth = 1.5;
  ctx.stroke();
}

const PAD = props.coord_pad; // coordinates span the view widened by PAD on each side (frames.py)
const px = (u) => ((u / 65535) * (1 + 2 * PAD) - PAD) * (SIZE - 1);
const py = (v) => (1 - ((v / 65535) * (1 + 2 * PAD) - PAD)) * (SIZE - 1);

function dots(ctx, q, colour) {
  ctx.beginPath();
  for (let i = 0; i + 1 < q.length; i += 2) {
    const x = px(q[i]), y = py(q[i + 1]);
    ctx.moveTo(x + 2, y);
    ctx.arc(x, y, 2, 0, 2 * Math.PI);
  }
  ctx.fillStyle = `rgb(${colour})`;
  ctx.fill();
}

function labelledDots(ctx, q) { // a conditional G's samples, each in the colour of the label it was asked for
  const k = labels.lc.length / 3;
  for (let y = 0; y < k; y++) {
    ctx.beginPath();
    for (let i = 0; i + 1 < q.length; i += 2) {
      if (labels.fl[i >> 1] !== y) continue;
      const x = px(q[i]), yy = py(q[i + 1]);
      ctx.moveTo(x + 2, yy);
      ctx.arc(x, yy, 2, 0, 2 * Math.PI);
    }
    ctx.fillStyle = `rgb(${labels.lc.slice(3 * y, 3 * y + 3)})`;
    ctx.fill();
  }
}

function lines(ctx, q, per) {
  ctx.beginPath();
  for (let i = 0; i < q.length; i += 2) {
    const x = px(q[i]), y = py(q[i + 1]);
    if ((i / 2) % per === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
  }
  ctx.strokeStyle = `rgb(${P.manifold})`;
  ctx.lineWidth = 1;
  ctx.stroke();
}

function arrows(ctx, fake, dir) {
  ctx.beginPath();
  for (let i = 0; i + 1 < dir.length; i += 2) {
    const x = px(fake[i]), y = py(fake[i + 1]);
    ctx.moveTo(x, y);
    ctx.lineTo(x + (dir[i] / 127) * 14, y - (dir[i + 1] / 127) * 14);
  }
  ctx.strokeStyle = `rgb(${P.arrow})`;
  ctx.lineWidth = 1;
  ctx.stroke();
}

function panel(canvas, q, n, lo, mid, hi, f, fake, withArrows) {
  const ctx = canvas.getContext("2d");
  surface(ctx, q, n, lo, mid, hi);
  if (man) lines(ctx, man.q, man.per);
  if (real) dots(ctx, real, P.real);
  if (labels) labelledDots(ctx, fake); else dots(ctx, fake, P.fake);
  if (withArrows && arr) arrows(ctx, fake, arr);
}

function draw(f) {
  if (!f) return;
  if (f.real) real = u16(f.real);
  if (f.fl) labels = { fl: bytes(f.fl), lc: f.lc };
  if (!f.nl) labels = null;
  const kind = labels ? "conditional" : "plain"; // what the pictures show, in words
  captions.forEach((c, i) => { if (c.dataset.kind !== kind) { c.innerHTML = props.captions[kind][i]; c.dataset.kind = kind; } });
  if (f.extras !== false) { // a frame with the extras says which it has: none means "not shown"
    man = f.man ? { q: u16(f.man), per: f.ml } : null;
    arr = f.arr ? i8(f.arr) : null;
  }
  const fake = u16(f.fake);
  panel(cD, bytes(f.d), f.n, f.lo, f.mid, f.hi, f, fake, true);
  if (f.ds) panel(cS, bytes(f.ds), f.n, 0, 0.5, 1, f, fake, false);
  if (f.status !== undefined) statusEl.innerHTML = f.status;
  element.dataset.frames = String(Number(element.dataset.frames) + 1);
  element.dataset.iteration = String(f.it);
}

function ended(r) {
  element.dataset.state = r.state;
  graph.stopped();
  if (r.error) {
    const div = document.createElement("div");
    div.className = "lab2d-error";
    div.textContent = r.error;
    statusEl.appendChild(div);
  }
}

// Frames come from a plain route of the server (ui/toy2d/frame_route.py); where it is missing (an app
// mounted without it), from the lab's server function, which answers the same.
const ROOT = (window.gradio_config && window.gradio_config.root) || window.location.href;
const FRAME_URL = new URL(props.frame_path, ROOT.endsWith("/") ? ROOT : ROOT + "/");
let plainRoute = true;

async function nextFrame(token, seq) {
  if (plainRoute) {
    const u = new URL(FRAME_URL);
    u.searchParams.set("token", token);
    u.searchParams.set("after", String(seq));
    u.searchParams.set("rows", String(charts.count())); // the chart rows we have: the answer brings the rest
    const res = await fetch(u, { cache: "no-store" });
    const json = (res.headers.get("content-type") || "").startsWith("application/json");
    if (res.ok && json) return await res.json();
    if (res.status >= 500) throw new Error(String(res.status));
    plainRoute = false;
  }
  return await server.toy2d_frame(token, seq, charts.count());
}

async function pull(token, seq) {
  element.dataset.state = "running";
  while (current === token) {
    let r;
    try {
      r = await nextFrame(token, seq);
    } catch (e) { // a network hiccup: try again shortly
      await new Promise((ok) => setTimeout(ok, 500));
      continue;
    }
    if (current !== token) return;
    if (r.frame && r.seq > seq) { draw(r.frame); graph.frame(r.frame); seq = r.seq; }
    charts.add(r);
    if (r.state !== "running") { current = null; ended(r); return; }
    await new Promise((ok) => setTimeout(ok, 0)); // let the page paint before asking for more
  }
}

function onValue() {
  let v = null;
  man = arr = null;
  try { v = JSON.parse(props.value || "null"); } catch (e) { return; }
  if (!v) return;
  if (v.frame) draw(v.frame);
  if (v.rows) charts.set(v);
  if (v.graph) graph.set(v.graph);
  if (v.token && v.state === "running") {
    if (current !== v.token) charts.restart();
    current = v.token;
    pull(v.token, v.seq || 0);
  } else {
    current = null;
    element.dataset.state = v.state || "stopped";
    graph.stopped();
  }
}

watch("value", onValue);
watch("graph", () => graph.set(props.graph));
onValue(); // the value the page arrived with (the run at iteration 0)
