// The browser half of `cargo xtask bench-widget` (xtask/src/bench_widget.rs starts the Worker and runs
// this). Two local origins stand in for production: the edge (the widget's files from www/, brotli
// compressed with production's content types, and everything else passed to the Worker, its JSON and
// HTML compressed as Cloudflare would), and a customer's site (the examples' pages). Headless Chromium,
// throttled as a mid-range phone on a slow connection, loads each variant in turn, several times,
// alternating, each time with an empty cache, and this prints what a visitor waits for: the time until
// the form's email input exists (time to interactive), the bytes that came from the edge, and how far
// the page moved (cumulative layout shift), as medians with min and max, and the waterfall of one run.
import http from "node:http";
import { readFileSync, existsSync, statSync } from "node:fs";
import { join, extname, normalize } from "node:path";
import { brotliCompressSync, constants } from "node:zlib";
import { chromium } from "playwright-core";
import esbuild from "esbuild";

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set: run this through \`cargo xtask bench-widget\``);
  return value;
};
const ROOT = env("INLET_ROOT");
const WORKER = env("INLET_API_URL");
const EDGE_PORT = Number(env("INLET_EDGE_PORT"));
const SITE_PORT = Number(env("INLET_SITE_PORT"));
const RUNS = Number(env("INLET_BENCH_RUNS", "9"));
const SETTLE_MS = 1500;
const THROTTLE = { cpu: 4, latencyMs: 150, downKbit: 1600, upKbit: 750 };

const EDGE = `http://127.0.0.1:${EDGE_PORT}`;
// `localhost`, not 127.0.0.1: another origin than the edge's, as a customer's site is.
const SITE = `http://localhost:${SITE_PORT}`;

const TYPES = {
  ".js": "application/javascript",
  ".css": "text/css",
  ".wasm": "application/wasm",
  ".html": "text/html; charset=utf-8",
  ".json": "application/json",
};
const brotli = (bytes) =>
  brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } });
const compressed = new Map();
/** The form's height as the untimed first pass measured it, for the page with the form builder's snippet. */
let formHeight = "40em";

/** Sends `bytes` brotli-compressed, as Cloudflare does for text and wasm (cached per path). */
function sendCompressed(response, status, headers, bytes, key) {
  let body = key && compressed.get(key);
  if (!body) {
    body = brotli(bytes);
    if (key) compressed.set(key, body);
  }
  response.writeHead(status, { ...headers, "content-encoding": "br", "content-length": body.length, vary: "accept-encoding" });
  response.end(body);
}

// The floor, minified as the loader is.
const floor = Buffer.from(
  esbuild.transformSync(readFileSync(join(ROOT, "xtask/bench/floor.js"), "utf8"), { minify: true, target: "es2020" }).code,
);

/** A file under `dir` for a URL path, or null (no way out of `dir`). */
function file(dir, path) {
  let decoded;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return null; // A malformed escape is no file of ours.
  }
  const relative = normalize(decoded).replace(/^\/+/, "");
  if (relative.startsWith("..")) return null;
  const full = join(dir, relative);
  return existsSync(full) && statSync(full).isFile() ? full : null;
}

const edge = http.createServer((request, response) => {
  const url = new URL(request.url, EDGE);
  const headers = { "access-control-allow-origin": "*", "cache-control": "public, max-age=300", "x-content-type-options": "nosniff" };
  if (url.pathname === "/floor.js") {
    return sendCompressed(response, 200, { ...headers, "content-type": TYPES[".js"] }, floor, "floor");
  }
  const asset = request.method === "GET" && file(join(ROOT, "www"), url.pathname);
  if (asset) {
    return sendCompressed(response, 200, { ...headers, "content-type": TYPES[extname(asset)] || "application/octet-stream" }, readFileSync(asset), asset);
  }
  // Everything else is the Worker's. In production this origin is the Worker's own, so a request from
  // its own pages (the iframe embed) names the Worker's origin.
  const forwarded = { ...request.headers, host: new URL(WORKER).host };
  if (forwarded.origin === EDGE) forwarded.origin = new URL(WORKER).origin;
  const upstream = http.request(WORKER + request.url, { method: request.method, headers: forwarded }, (answer) => {
    const chunks = [];
    answer.on("data", (chunk) => chunks.push(chunk));
    answer.on("end", () => {
      const body = Buffer.concat(chunks);
      const type = answer.headers["content-type"] || "";
      const out = { ...answer.headers };
      delete out["content-length"];
      delete out["transfer-encoding"];
      delete out.connection;
      if (body.length > 0 && /json|html|javascript|text/.test(type) && !answer.headers["content-encoding"]) {
        sendCompressed(response, answer.statusCode, out, body, null);
      } else {
        response.writeHead(answer.statusCode, { ...out, "content-length": body.length });
        response.end(body);
      }
    });
  });
  upstream.on("error", () => {
    response.writeHead(502);
    response.end();
  });
  request.pipe(upstream);
});

/** The customer's pages: the examples, with the edge's address and the form filled in; `floor.html` is the script-tag example with the floor's script instead of Inlet's. */
const site = http.createServer((request, response) => {
  const url = new URL(request.url, SITE);
  const name = url.pathname === "/floor.html" ? "/script-tag.html" : url.pathname;
  const page = file(join(ROOT, "examples"), name);
  if (!page) {
    response.writeHead(404);
    return response.end();
  }
  let bytes = readFileSync(page);
  if (extname(page) === ".html") {
    let text = bytes.toString("utf8");
    if (url.pathname === "/floor.html") text = text.replace("__INLET_API__/widget.js", "__INLET_API__/floor.js");
    bytes = Buffer.from(text.replaceAll("__INLET_API__", EDGE).replaceAll("__INLET_FORM__", "demo")
      .replaceAll("__INLET_LOCALE__", "").replaceAll("__INLET_HEIGHT__", formHeight));
  }
  sendCompressed(response, 200, { "content-type": TYPES[extname(page)] || "application/octet-stream", "cache-control": "no-store" }, bytes, url.pathname + url.search);
});

await Promise.all([
  new Promise((resolve) => edge.listen(EDGE_PORT, "127.0.0.1", resolve)),
  // Every loopback address (IPv4 and, where there is one, IPv6): Chromium may try either for `localhost`.
  new Promise((resolve) => site.listen(SITE_PORT, resolve)),
]);

const VARIANTS = [
  { name: "hand-written JS (floor)", path: "/floor.html" },
  { name: "widget, script tag", path: "/script-tag.html" },
  { name: "widget, exact height", path: "/exact-height.html" },
  { name: "widget, iframe", path: "/iframe.html" },
];

const browser = await chromium.launch({
  executablePath: process.env.INLET_CHROMIUM || "/usr/bin/chromium",
  // Site isolation off: the iframe embed's frame then shares the page's renderer, so one CDP session
  // throttles and observes both.
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-site-isolation-trials",
    "--disable-features=IsolateOrigins,site-per-process"],
});

/** Runs in every frame before the page's scripts: notes when a shadow root first holds an email input, and sums the page's layout shifts. */
function observe() {
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    const root = attach.call(this, init);
    const seen = new MutationObserver(() => {
      if (root.querySelector('input[type="email"]')) {
        seen.disconnect();
        window.__inletInteractive?.(performance.timeOrigin + performance.now());
      }
    });
    seen.observe(root, { childList: true, subtree: true });
    return root;
  };
  window.__shift = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__shift += entry.value;
  }).observe({ type: "layout-shift", buffered: true });
}

async function measure(variant) {
  const context = await browser.newContext({ viewport: { width: 412, height: 915 } });
  let interactive;
  const ready = new Promise((resolve) => {
    interactive = resolve;
  });
  await context.exposeBinding("__inletInteractive", (_source, at) => interactive(at));
  await context.addInitScript(observe);
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  const console = [];
  page.on("console", (message) => message.type() !== "log" && console.push(message.text()));
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: THROTTLE.latencyMs,
    downloadThroughput: (THROTTLE.downKbit * 1000) / 8,
    uploadThroughput: (THROTTLE.upKbit * 1000) / 8,
  });
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: THROTTLE.cpu });
  const requests = new Map();
  cdp.on("Network.requestWillBeSent", (e) => requests.set(e.requestId, { url: e.request.url, start: e.timestamp }));
  cdp.on("Network.loadingFinished", (e) => {
    const r = requests.get(e.requestId);
    if (r) Object.assign(r, { end: e.timestamp, bytes: e.encodedDataLength });
  });

  await page.goto(SITE + variant.path, { waitUntil: "commit" });
  const at = await Promise.race([ready, new Promise((resolve) => setTimeout(() => resolve(null), 30_000))]);
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const { origin, shift, height } = await page.evaluate(() => ({
    origin: performance.timeOrigin,
    shift: window.__shift,
    height: document.querySelector("inlet-form")?.getBoundingClientRect().height,
  }));
  await context.close();
  if (at === null) {
    throw new Error(`${variant.name}: the form never became interactive (${[...errors, ...console].join("; ") || "no script error"})`);
  }
  if (errors.length) throw new Error(`${variant.name}: ${errors.join("; ")}`);

  const all = [...requests.values()].filter((r) => r.end !== undefined);
  const first = Math.min(...all.map((r) => r.start));
  const fromEdge = all.filter((r) => r.url.startsWith(EDGE));
  return {
    height,
    tti: at - origin,
    bytes: fromEdge.reduce((sum, r) => sum + r.bytes, 0),
    shift,
    waterfall: all
      .sort((a, b) => a.start - b.start)
      .map((r) => ({ url: r.url.replace(EDGE, "edge").replace(SITE, "site"), start: (r.start - first) * 1000, end: (r.end - first) * 1000, bytes: r.bytes })),
  };
}

const results = new Map(VARIANTS.map((v) => [v.name, []]));
// One untimed pass first, so the first timed run is not the one that warms the Worker and the servers;
// it measures the form's height, as the form builder does for its snippet.
for (const variant of VARIANTS) {
  const { height } = await measure(variant);
  if (variant.path === "/script-tag.html") formHeight = `${Math.ceil(height)}px`;
}
for (let run = 0; run < RUNS; run++) {
  for (const variant of VARIANTS) results.get(variant.name).push(await measure(variant));
}
await browser.close();
edge.close();
site.close();

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const stats = (values) => ({ median: median(values), min: Math.min(...values), max: Math.max(...values) });
const floorTti = median(results.get(VARIANTS[0].name).map((r) => r.tti));
const pad = (value, width) => String(value).padStart(width);

console.log(`bench-widget: the demo form, ${RUNS} runs of each, alternating, each with an empty cache`);
console.log(`Chromium ${browser.version()} headless, ${THROTTLE.cpu}x CPU slowdown, ${THROTTLE.downKbit} kbit/s down, ${THROTTLE.upKbit} kbit/s up, ${THROTTLE.latencyMs} ms round trips, the edge's files brotli`);
console.log(`a 412 x 915 viewport; "exact height" is the form builder's snippet with the height measured (${formHeight})`);
console.log();
console.log(`${"".padEnd(26)} ${"time to interactive (ms)".padStart(30)}  ${"from the edge (KiB)".padStart(20)}  ${"layout shift".padStart(14)}`);
console.log(`${"variant".padEnd(26)} ${pad("median", 8)} ${pad("min", 6)} ${pad("max", 6)} ${pad("ratio", 7)}  ${pad("median", 8)} ${pad("max", 10)}  ${pad("median", 7)} ${pad("max", 6)}`);
for (const variant of VARIANTS) {
  const runs = results.get(variant.name);
  const tti = stats(runs.map((r) => r.tti));
  const kib = stats(runs.map((r) => r.bytes / 1024));
  const shift = stats(runs.map((r) => r.shift));
  console.log(
    `${variant.name.padEnd(26)} ${pad(tti.median.toFixed(0), 8)} ${pad(tti.min.toFixed(0), 6)} ${pad(tti.max.toFixed(0), 6)} ${pad((tti.median / floorTti).toFixed(2), 7)}  ` +
      `${pad(kib.median.toFixed(1), 8)} ${pad(kib.max.toFixed(1), 10)}  ${pad(shift.median.toFixed(3), 7)} ${pad(shift.max.toFixed(3), 6)}`,
  );
}
const widgetTti = median(results.get(VARIANTS[1].name).map((r) => r.tti));
console.log();
console.log(`headline: the script-tag widget is interactive after ${(widgetTti / floorTti).toFixed(2)} times the hand-written floor's time`);
for (const variant of VARIANTS) {
  const runs = results.get(variant.name);
  // The run whose time is the median's (the lower middle one for an even count).
  const sorted = [...runs].sort((a, b) => a.tti - b.tti);
  const run = sorted[Math.floor((sorted.length - 1) / 2)];
  console.log();
  console.log(`waterfall, ${variant.name}, its median run (ms from the first request; interactive at ${run.tti.toFixed(0)} ms after navigation start):`);
  for (const r of run.waterfall) {
    console.log(`  ${pad(r.start.toFixed(0), 6)} ${pad(r.end.toFixed(0), 6)} ${pad((r.bytes / 1024).toFixed(1), 7)} KiB  ${r.url}`);
  }
}
