// The 2-D GAN lab's four charts, drawn in the page as SVG from rows of numbers (playground/toy2d/charts.py
// declares each chart: its title, series, axes and reference line). A still value brings every row; while a
// run plays, each frame brings the rows logged since the page's last one. Runs first in the lab's
// js_on_load (canvas.js follows and calls makeCharts).
function makeCharts(box) {
  const W = 400, H = 180, L = 46, R = 42, T = 8, B = 22; // the plot area is [L, W - R] x [T, H - B]
  let spec = null, rows = [], bars = null, drawn = 0, pending = null;

  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  const num = (v) => { // a tick label: short, and readable at 10 px
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e4 || a < 1e-3)) return v.toExponential(0);
    return String(Number(v.toPrecision(3)));
  };

  function ticks(lo, hi, n) {
    const span = hi - lo, raw = span / n, mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => span / s <= n) || 10 * mag;
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    return out;
  }

  // an axis's range: declared, or the data's (with a margin); on a log axis, in decades
  function range(axis, values) {
    if (axis && axis.range) return axis.range;
    const vs = values.filter((v) => v !== null && isFinite(v) && (!axis || !axis.log || v > 0));
    if (!vs.length) return axis && axis.log ? [0, 1] : [0, 1];
    let lo = Math.min(...vs), hi = Math.max(...vs);
    if (axis && axis.log) { lo = Math.floor(Math.log10(lo)); hi = Math.ceil(Math.log10(hi)); return hi > lo ? [lo, hi] : [lo - 1, hi + 1]; }
    const pad = (hi - lo) * 0.06 || Math.abs(hi) * 0.1 || 1;
    return [lo - pad, hi + pad];
  }

  function yAxis(axis, values, extra) {
    const r = range(axis, extra === undefined ? values : values.concat([extra]));
    const log = !!(axis && axis.log);
    const f = (v) => H - B - ((log ? Math.log10(v) : v) - r[0]) / (r[1] - r[0] || 1) * (H - T - B);
    const tv = log ? Array.from({ length: r[1] - r[0] + 1 }, (_, i) => Math.pow(10, r[0] + i)) : ticks(r[0], r[1], 4);
    return { f, ticks: tv, ok: (v) => v !== null && isFinite(v) && (!log || v > 0) };
  }

  function path(xs, ys, x, y, ok, step) { // a polyline, broken where a value is undefined
    let d = "", on = false, py = 0;
    for (let i = 0; i < xs.length; i++) {
      if (!ok(ys[i])) { on = false; continue; }
      const X = x(xs[i]).toFixed(1), Y = y(ys[i]).toFixed(1);
      if (!on) d += `M${X},${Y}`;
      else d += step ? `H${X}V${Y}` : `L${X},${Y}`;
      on = true; py = Y;
    }
    return d;
  }

  function frame(inner, yl, yr, xt, x, title) {
    let s = `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">`;
    s += `<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#ddd"/>`;
    for (const t of yl.ticks) { const Y = yl.f(t); if (Y < T - 1 || Y > H - B + 1) continue;
      s += `<line x1="${L}" x2="${W - R}" y1="${Y}" y2="${Y}" stroke="#eee"/><text x="${L - 4}" y="${Y + 3}" text-anchor="end">${num(t)}</text>`; }
    if (yr) for (const t of yr.ticks) { const Y = yr.f(t); if (Y < T - 1 || Y > H - B + 1) continue;
      s += `<text x="${W - R + 4}" y="${Y + 3}">${num(t)}</text>`; }
    for (const t of xt) s += `<text x="${x(t)}" y="${H - B + 13}" text-anchor="middle">${num(t)}</text>`;
    return s + inner + "</svg>";
  }

  function hline(h, y) {
    if (!h) return "";
    const Y = y.f(h.y);
    if (!(Y >= T && Y <= H - B)) return "";
    return `<line x1="${L}" x2="${W - R}" y1="${Y}" y2="${Y}" stroke="gray" stroke-dasharray="5 4"/>` +
      (h.text ? `<text x="${W - R - 2}" y="${Y - 3}" text-anchor="end" paint-order="stroke" stroke="#fff" stroke-width="3">${esc(h.text)}</text>` : "");
  }

  function lineChart(c) {
    const xs = rows.map((r) => r[0]);
    const xmax = Math.max(100, ...xs);
    const x = (v) => L + (v / xmax) * (W - L - R);
    const col = (s) => rows.map((r) => r[s.col]);
    const left = c.series.filter((s) => s.axis !== 2), right = c.series.filter((s) => s.axis === 2);
    const yl = yAxis(c.y, [].concat(...left.map(col)), c.hline ? c.hline.y : undefined);
    const yr = right.length ? yAxis(c.y2, [].concat(...right.map(col))) : null;
    let inner = hline(c.hline, yl);
    for (const s of c.series) {
      const y = s.axis === 2 ? yr : yl;
      inner += `<path d="${path(xs, col(s), x, y.f, y.ok, s.step)}" fill="none" stroke="${s.color}" stroke-width="${s.width || 2}"` +
        (s.dash ? ` stroke-dasharray="${s.dash}"` : "") + ` stroke-linejoin="round"/>`;
    }
    return frame(inner, yl, yr, ticks(0, xmax, 4), x, c.title);
  }

  function barChart(c) {
    const n = bars.length, lines = c.lines || [];  // the even share, and the part of it that covers a mode
    const x = (i) => L + ((i + 0.5) / n) * (W - L - R);
    const yl = yAxis({ range: [0, Math.max(...bars, ...lines.map((h) => h.y), 1) * 1.08] }, []);
    const bw = Math.max(1, ((W - L - R) / n) * 0.8);
    let inner = "";
    bars.forEach((b, i) => { const Y = yl.f(b);
      inner += `<rect x="${(x(i) - bw / 2).toFixed(1)}" y="${Y.toFixed(1)}" width="${bw.toFixed(1)}" height="${(H - B - Y).toFixed(1)}" fill="${c.color}" fill-opacity="0.8"/>`; });
    inner += lines.map((h) => hline(h, yl)).join("");  // over the bars, so their words stay readable
    const step = n <= 12 ? 1 : 5;
    const xt = Array.from({ length: n }, (_, i) => i).filter((i) => (i + 1) % step === 0 || i === 0);
    return frame(inner, yl, null, [], x, c.title).replace("</svg>",
      xt.map((i) => `<text x="${x(i)}" y="${H - B + 13}" text-anchor="middle">${i + 1}</text>`).join("") + "</svg>");
  }

  function empty(c) {
    return `<svg viewBox="0 0 ${W} ${H}"><rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#ddd"/>` +
      `<text x="${W / 2}" y="${H / 2}" text-anchor="middle">${esc(c.empty || "")}</text></svg>`;
  }

  function draw() {
    pending = null;
    drawn = performance.now();
    if (!spec) { box.innerHTML = ""; return; }
    box.innerHTML = spec.map((c) => {
      const has = c.bars ? !!(bars && bars.length) : rows.length > 0;
      const key = c.bars ? "" : c.series.map((s) => `<i style="background:${s.color}"></i>${esc(s.name)}`).join("");
      // titles come from the server's declarations (they hold <sub> markup), never from a visitor
      return `<div class="lab2d-chart"><div class="t">${c.title}</div>${has ? (c.bars ? barChart(c) : lineChart(c)) : empty(c)}` +
        `<div class="k">${key}</div></div>`;
    }).join("");
    const last = rows.length ? rows[rows.length - 1][0] : -1;
    box.dataset.lastIteration = String(last);
    box.dataset.rows = String(rows.length);
  }

  // redraw at most 4 times a second (a run logs a row every 100 iterations: up to ~15 a second)
  function soon() {
    if (pending) return;
    const wait = Math.max(0, 250 - (performance.now() - drawn));
    pending = setTimeout(draw, wait);
  }

  return {
    count: () => rows.length,
    // a still value: everything at once
    set(v) { if (v.spec) spec = v.spec; rows = v.rows || []; bars = v.pm || null; draw(); },
    // a new run: its frames bring every row from the start
    restart() { rows = []; },
    // a frame: its rows (if they continue ours), its bars, its spec (a run's first frame)
    add(r) {
      const f = r.frame || {};
      if (f.spec) spec = f.spec;
      if (f.pm !== undefined) bars = f.pm;
      if (r.rows && r.rows_from === rows.length) rows = rows.concat(r.rows);
      soon();
    },
  };
}
