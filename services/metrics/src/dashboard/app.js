// The operations dashboard: log-in, then a live stream of every metric (server-sent events read
// with fetch, so the token travels in the Authorization header, never in a URL or a cookie).
"use strict";

const $ = (id) => document.getElementById(id);
const SESSION_KEY = "cargo-express-dashboard";
let session = null;       // { token, expiresAt, email }
let stream = null;        // AbortController of the live stream
let expiryTimer = null;

// ---- session --------------------------------------------------------------------------

function showLogin(message) {
  if (stream) stream.abort();
  clearTimeout(expiryTimer);
  session = null;
  sessionStorage.removeItem(SESSION_KEY);
  $("login-message").textContent = message || "";
  $("who").textContent = "";
  $("dashboard-view").hidden = true;
  $("account").hidden = true;
  $("login-view").hidden = false;
}

function expired() {
  showLogin("Your session has expired. Please log in again.");
}

function startSession(saved) {
  session = saved;
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(saved));
  const left = saved.expiresAt - Date.now();
  if (left <= 0) return expired();
  expiryTimer = setTimeout(expired, left);
  $("time-zone").textContent = zoneLabel(new Date());
  $("who").textContent = saved.email;
  $("login-view").hidden = true;
  $("account").hidden = false;
  $("dashboard-view").hidden = false;
  connect();
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("login-message").textContent = "";
  const response = await fetch("/dashboard/session", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: $("email").value, password: $("password").value }),
  }).catch(() => null);
  if (!response) return ($("login-message").textContent = "The dashboard cannot be reached.");
  const body = await response.json().catch(() => ({}));
  if (!response.ok) return ($("login-message").textContent = body.detail || "Log-in failed.");
  $("password").value = "";
  startSession({ token: body.access_token, expiresAt: Date.now() + body.expires_in * 1000, email: body.email });
});

$("logout").addEventListener("click", () => showLogin("You have logged out."));
$("window").addEventListener("change", connect);

// ---- live stream ----------------------------------------------------------------------

function liveState(text, cls) {
  const el = $("live-state");
  el.textContent = text;
  el.className = "live " + cls;
}

async function connect() {
  if (stream) stream.abort();
  const controller = new AbortController();
  stream = controller;
  const hours = $("window").value;
  try {
    const response = await fetch(`/v1/metrics/stream?hours=${hours}`, {
      headers: { authorization: `Bearer ${session.token}` },
      signal: controller.signal,
    });
    if (response.status === 401) return expired();
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    liveState("● live", "on");
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        handleEvent(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  } catch (error) {
    if (controller.signal.aborted) return;
  }
  if (controller.signal.aborted || !session) return;
  liveState("reconnecting…", "off");
  setTimeout(() => { if (stream === controller && session) connect(); }, 2000);
}

function handleEvent(block) {
  let name = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) name = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).trim());
  }
  if (name === "expired") return expired();
  if (name === "summary") render(JSON.parse(data.join("\n")));
}

// ---- rendering ------------------------------------------------------------------------

const money = (cents) => "$" + (cents / 100).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const percent = (rate) => (rate == null ? "–" : (rate * 100).toFixed(1) + " %");
const duration = (seconds) => {
  if (seconds == null) return "–";
  if (seconds < 120) return seconds.toFixed(0) + " s";
  if (seconds < 7200) return (seconds / 60).toFixed(1) + " min";
  return (seconds / 3600).toFixed(1) + " h";
};
const millis = (ms) => (ms == null ? "–" : ms < 1000 ? ms.toFixed(0) + " ms" : (ms / 1000).toFixed(1) + " s");

// Every time on the page is in the viewer's time zone (the browser's), which the header names.
// The API counts per UTC hour; a bar is labelled with its hour's local start, so in a zone a
// whole number of hours from UTC (Bogotá, UTC−05:00) the bars are the local hours, and in a
// zone with a half-hour offset (India, UTC+05:30) each bar runs from half past to half past.
const pad = (n) => String(n).padStart(2, "0");
const clock = (date) => `${pad(date.getHours())}:${pad(date.getMinutes())}`;
const day = (date) => date.toLocaleDateString("en-US", { weekday: "short", month: "short", day: "numeric" });

function utcOffset(date) {
  const minutes = -date.getTimezoneOffset();
  const whole = Math.abs(minutes);
  return `UTC${minutes < 0 ? "−" : "+"}${pad(Math.floor(whole / 60))}:${pad(whole % 60)}`;
}

function zoneLabel(now) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "your time zone";
  return `Times in ${zone} (${utcOffset(now)})`;
}

// Every UTC hour the window touches, as the API spells them ("2026-11-23T13:00:00Z").
function hoursOf(window) {
  const hours = [];
  const start = new Date(window.from);
  start.setUTCMinutes(0, 0, 0);
  for (let t = start.getTime(); t < new Date(window.to).getTime(); t += 3600e3)
    hours.push(new Date(t).toISOString().slice(0, 19) + "Z");
  return hours;
}

function render(summary) {
  const revenue = summary.revenue_per_hour;
  const outcomes = summary.delivery_outcomes;
  $("tile-reports").textContent = revenue.total_reports.toLocaleString("en-US");
  $("tile-units").textContent = revenue.total_units.toLocaleString("en-US");
  $("tile-revenue").textContent = money(revenue.total_revenue_cents);
  $("tile-rate").textContent = percent(outcomes.delivered_rate);
  $("tile-dispatch").textContent = duration(summary.dispatch_to_delivered.average_seconds);
  const lag = summary.ingest_lag;
  $("tile-lag").textContent = `${millis(lag.average_ms)} / ${millis(lag.max_ms)}`;

  const hours = hoursOf(summary.window);
  const deliveries = new Map(hours.map((h) => [h, 0]));
  for (const h of summary.deliveries_per_hour.hours) deliveries.set(h.hour, (deliveries.get(h.hour) || 0) + h.deliveries);
  const cents = new Map(hours.map((h) => [h, 0]));
  for (const h of revenue.hours) cents.set(h.hour, h.revenue_cents);
  const anything = revenue.total_reports > 0;
  columns($("chart-deliveries"), anything ? [...deliveries].map(([hour, n]) => [new Date(hour), n]) : [], String);
  columns($("chart-revenue"), anything ? [...cents].map(([hour, c]) => [new Date(hour), c]) : [], money);
  bars($("chart-products"), summary.top_products_by_units.products.map((p) => [p.name, p.units]), (n) => n + " u");
  bars($("chart-orders"), summary.orders_by_status.statuses.map((s) => [s.status, s.orders]), String);

  const outcomeOf = new Map(outcomes.couriers.map((c) => [c.courier_id, c]));
  const couriers = new Map(summary.deliveries_per_hour.couriers.map((c) => [c.courier_id, c.courier_name]));
  for (const c of outcomes.couriers) if (!couriers.has(c.courier_id)) couriers.set(c.courier_id, c.courier_name);
  const reported = new Map(summary.deliveries_per_hour.couriers.map((c) => [c.courier_id, c.deliveries]));
  table($("table-couriers"), [...couriers].map(([id, name]) => {
    const o = outcomeOf.get(id) || {};
    return [`${name} (${id})`, reported.get(id) || 0, o.delivered || 0, o.not_delivered || 0, percent(o.delivered_rate)];
  }), () => true);
  table($("table-products"), summary.top_products_by_revenue.products.map((p) => [p.name, p.sku, p.units, money(p.revenue_cents)]));
  const now = new Date();
  $("time-zone").textContent = zoneLabel(now);
  $("updated-at").textContent = `${clock(now)}:${pad(now.getSeconds())}`;
}

// Rows of cells; after the first column, `numeric(cell)` cells are aligned as numbers.
function table(el, rows, numeric = (cell) => typeof cell === "number") {
  const body = el.tBodies[0];
  body.replaceChildren(...rows.map((cells) => {
    const tr = document.createElement("tr");
    cells.forEach((cell, i) => {
      const td = document.createElement("td");
      td.textContent = cell;
      if (i > 0 && numeric(cell)) td.className = "num";
      tr.append(td);
    });
    return tr;
  }));
}

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

function empty(el) {
  const p = document.createElement("p");
  p.className = "empty";
  p.textContent = "No data in this window yet.";
  el.replaceChildren(p);
}

// Vertical bars over time, one per hour: [[start (a Date), value]].
function columns(el, points, format) {
  if (!points.length) return empty(el);
  const width = 480, height = 200, bottom = 22, top = 16;
  const max = Math.max(...points.map((p) => p[1]), 1);
  const margin = 18; // room for the first and last hour labels
  const step = (width - 2 * margin) / points.length;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" });
  points.forEach(([start, value], i) => {
    const h = ((height - bottom - top) * value) / max;
    const x = margin + i * step + step * 0.15;
    const label = clock(start);
    const end = clock(new Date(start.getTime() + 3600e3));
    const bar = svg("rect", { x, y: height - bottom - h, width: step * 0.7, height: h, fill: "#0b6bcb", rx: 2 });
    bar.append(svg("title", {}, `${day(start)} ${label}–${end}: ${format(value)}`));
    chart.append(bar);
    if (points.length <= 24 || i % Math.ceil(points.length / 12) === 0)
      chart.append(svg("text", { x: x + step * 0.35, y: height - 6, "font-size": 10, "text-anchor": "middle", fill: "#5f6b7a" }, label));
  });
  chart.append(svg("text", { x: 0, y: 11, "font-size": 10, fill: "#5f6b7a" }, "max " + format(max)));
  el.replaceChildren(chart);
}

// Horizontal bars for rankings: [[label, value]].
function bars(el, rows, format) {
  if (!rows.length || rows.every((r) => r[1] === 0)) return empty(el);
  const row = 22, labelWidth = 170, width = 480;
  const max = Math.max(...rows.map((r) => r[1]), 1);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${rows.length * row}`, role: "img" });
  rows.forEach(([label, value], i) => {
    const y = i * row;
    const w = ((width - labelWidth - 60) * value) / max;
    chart.append(svg("text", { x: 0, y: y + 15, "font-size": 12, fill: "#1d2433" }, label));
    chart.append(svg("rect", { x: labelWidth, y: y + 4, width: w, height: row - 8, fill: "#1c8c4e", rx: 2 }));
    chart.append(svg("text", { x: labelWidth + w + 6, y: y + 15, "font-size": 12, fill: "#5f6b7a" }, format(value)));
  });
  el.replaceChildren(chart);
}

// ---- start ----------------------------------------------------------------------------

const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
if (saved && saved.expiresAt > Date.now()) startSession(saved);
else if (saved) expired();
