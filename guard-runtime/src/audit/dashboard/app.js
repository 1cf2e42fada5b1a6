// guard audit dashboard: renders the server's snapshots. Every value is
// written as text (textContent), never as markup: names in an audit
// trail come from the model.
"use strict";

const token = new URLSearchParams(location.search).get("token");
const withToken = (path) => token ? `${path}?token=${encodeURIComponent(token)}` : path;
const $ = (id) => document.getElementById(id);
const COLORS = ["#2e90fa", "#12b76a", "#f79009", "#7a5af8", "#ee46bc", "#06aed5", "#f04438", "#667085"];

function cell(row, text, numeric) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "–" : String(text);
  if (numeric) td.className = "n";
  row.appendChild(td);
}

function table(id, headers, rows) {
  const t = $(id);
  t.replaceChildren();
  const head = document.createElement("tr");
  for (const [name, numeric] of headers) {
    const th = document.createElement("th");
    th.textContent = name;
    if (numeric) th.className = "n";
    head.appendChild(th);
  }
  t.appendChild(head);
  for (const values of rows) {
    const tr = document.createElement("tr");
    values.forEach((v, i) => cell(tr, v, headers[i][1]));
    t.appendChild(tr);
  }
  return t;
}

const time = (ms) => new Date(ms).toISOString().replace("T", " ").slice(0, 19);

function timeline(data) {
  const box = $("timeline");
  const svgNS = "http://www.w3.org/2000/svg";
  const tools = Object.entries(data.timeline.tools || {});
  const minutes = tools.length ? tools[0][1].length : 0;
  const totals = Array.from({ length: minutes }, (_, m) => tools.reduce((s, [, row]) => s + row[m], 0));
  const top = Math.max(1, ...totals);
  const width = 900, height = 160, left = 36, bottom = 18;
  const svg = document.createElementNS(svgNS, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("width", "100%");
  svg.setAttribute("role", "img");
  const bar = minutes ? (width - left) / minutes : 0;
  for (let m = 0; m < minutes; m++) {
    let y = height - bottom;
    tools.forEach(([, row], i) => {
      const h = (row[m] / top) * (height - bottom - 8);
      if (!h) return;
      const r = document.createElementNS(svgNS, "rect");
      r.setAttribute("x", left + m * bar + 1);
      r.setAttribute("y", y - h);
      r.setAttribute("width", Math.max(1, bar - 2));
      r.setAttribute("height", h);
      r.setAttribute("fill", COLORS[i % COLORS.length]);
      svg.appendChild(r);
      y -= h;
    });
  }
  for (const [value, y] of [[top, 12], [0, height - bottom]]) {
    const t = document.createElementNS(svgNS, "text");
    t.setAttribute("x", 0);
    t.setAttribute("y", y);
    t.textContent = String(value);
    svg.appendChild(t);
  }
  if (minutes) {
    const t = document.createElementNS(svgNS, "text");
    t.setAttribute("x", left);
    t.setAttribute("y", height - 2);
    t.textContent = time(data.timeline.first_minute_ms);
    svg.appendChild(t);
  }
  box.replaceChildren(svg);
  const legend = $("legend");
  legend.replaceChildren();
  tools.forEach(([name], i) => {
    const span = document.createElement("span");
    const swatch = document.createElement("i");
    swatch.style.background = COLORS[i % COLORS.length];
    span.append(swatch, document.createTextNode(name));
    legend.appendChild(span);
  });
}

function render(data) {
  $("file").textContent = data.file || "";
  const chain = $("chain");
  if (data.chain) {
    chain.textContent = data.chain.ok ? "chain verified" : "chain broken";
    chain.className = "pill " + (data.chain.ok ? "ok" : "bad");
    $("chain-problem").textContent = data.chain.problem || "";
  }
  if (data.error) $("chain-problem").textContent = `cannot read the file: ${data.error}`;
  $("records").textContent = String(data.records || 0);
  const refused = Object.values(data.refusals || {}).reduce((a, b) => a + b, 0);
  $("refused-total").textContent = String(refused);
  $("alerts-total").textContent = String((data.alerts || []).length);
  $("live").textContent = data.updated_ms ? `updated ${time(data.updated_ms)} UTC` : "";
  table("tools", [["tool"], ["calls", 1], ["refused", 1], ["failed", 1], ["p50 µs", 1], ["p95 µs", 1], ["max µs", 1]],
    (data.tools || []).map((t) => [t.tool, t.calls, t.refused, t.failed, t.p50_us, t.p95_us, t.max_us]));
  table("outcomes", [["outcome"], ["calls", 1]], Object.entries(data.outcomes || {}));
  table("refusals", [["kind"], ["calls", 1]], Object.entries(data.refusals || {}));
  table("agents", [["agent"], ["calls", 1], ["refused", 1], ["failed", 1]],
    (data.agents || []).map((a) => [a.agent, a.calls, a.refused, a.failed]));
  const alerts = table("alerts", [["detector"], ["agent"], ["session"], ["tool"], ["why"], ["time (UTC)"]],
    (data.alerts || []).map((a) => [a.detector, a.agent, a.session, a.tool, a.why, time(a.time_ms)]));
  alerts.querySelectorAll("tr:not(:first-child)").forEach((tr) => tr.classList.add("alert"));
  table("sessions", [["session"], ["agent"], ["calls", 1], ["refused", 1], ["last (UTC)"]],
    (data.sessions || []).map((s) => [s.session, s.agent, s.calls, s.refused, time(s.last_ms)]));
  if (data.timeline) timeline(data);
}

const source = new EventSource(withToken("events"));
source.addEventListener("summary", (e) => render(JSON.parse(e.data)));
source.onerror = () => { $("live").textContent = "disconnected; retrying…"; };
