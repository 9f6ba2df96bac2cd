// The workers `cargo xtask bench-edge` drives: Inlet's built Worker (edge/build) and the floor, a
// minimal JavaScript Worker (floor-worker.js), started together in one workerd through Miniflare's
// programmatic API, each on a loopback socket of its own that reaches the worker directly (no
// `wrangler dev` proxy, no Miniflare entry worker, no static-assets router in front).
//
// Run with Node 22: `node edge.mjs '<config JSON>'`, where the config names the repository root, the
// state folder whose local D1 databases xtask has already migrated and seeded through wrangler, and
// each worker's database id and variables. Prints one line of JSON, `{"inlet": PORT, "floor": PORT}`,
// once both answer. Then reads commands from stdin, one a line, answering each with one JSON line:
// `count`: `{"inlet": N, "floor": N}`, the leads of the form `demo` in each database. Stops when stdin
// closes or on SIGTERM. Everything else (workerd's logs, errors) goes to stderr, so stdout carries
// only answers.

import { randomBytes } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Miniflare, Response } from "miniflare";

const config = JSON.parse(process.argv[2] ?? "{}");
const root = config.root;
const inletBuild = join(root, "edge/build");

/** The modules worker-build emitted at the top of its output: JavaScript as ES modules (`index.js`
 * is the entry), WebAssembly compiled. (Its `worker/shim.mjs` only re-exports `index.js`.) */
function builtModules(folder) {
  const modules = {};
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(folder, entry.name);
    if (/\.m?js$/.test(entry.name)) modules[entry.name] = { type: "esm", contents: readFileSync(path, "utf8") };
    else if (entry.name.endsWith(".wasm")) modules[entry.name] = { type: "wasm", contents: new Uint8Array(readFileSync(path)) };
  }
  if (!("index.js" in modules)) throw new Error(`${folder}/index.js is missing: build the Worker first`);
  return { mainModule: "index.js", modules };
}

const text = (value) => ({ type: "text", value });
// A fresh secret per run, as the stack makes one: it signs form tokens and keys client addresses.
const secret = randomBytes(24).toString("hex");
const vars = Object.fromEntries(Object.entries(config.vars ?? {}).map(([name, value]) => [name, text(value)]));
const direct = { unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }], unsafeRegisterWorker: false };
const compatibilityDate = config.compatibilityDate;

const inlet = {
  config: {
    name: "inlet",
    compatibilityDate,
    manifest: builtModules(inletBuild),
    env: {
      ...vars,
      INLET_SECRET: text(secret),
      DB: { type: "d1", id: config.inletDatabaseId },
      LIMITER: { type: "durable-object", worker: "inlet", exportName: "IntakeLimiter" },
      DELIVERIES: { type: "queue", name: "inlet-deliveries" },
      DEAD_DELIVERIES: { type: "queue", name: "inlet-deliveries-dead" },
      // The Worker reads every binding once per request, ASSETS included, but no benchmarked path
      // uses it: a stand-in keeps the static-assets router (which production runs before the Worker
      // on every request, for both workers alike) out of the comparison.
      ASSETS: { type: "fetcher", handler: () => new Response("no assets in the benchmark", { status: 404 }) },
    },
    exports: { IntakeLimiter: { type: "durable-object", storage: "sqlite" } },
  },
  dev: direct,
};

const floor = {
  config: {
    name: "floor",
    compatibilityDate,
    manifest: {
      mainModule: "floor-worker.js",
      modules: {
        "floor-worker.js": {
          type: "esm",
          contents: readFileSync(join(root, "xtask/bench/floor-worker.js"), "utf8"),
        },
      },
    },
    env: {
      INLET_SECRET: text(secret),
      DB: { type: "d1", id: config.floorDatabaseId },
      LIMITER: { type: "durable-object", worker: "floor", exportName: "FloorLimiter" },
      DELIVERIES: { type: "queue", name: "floor-deliveries" },
    },
    exports: { FloorLimiter: { type: "durable-object", storage: "sqlite" } },
  },
  dev: direct,
};

const mf = new Miniflare({
  host: "127.0.0.1",
  port: 0,
  resourcePersistencePath: join(config.persist, "v3"),
  enableDevRegistry: false,
  telemetry: { enabled: false },
  // Optional: a DevTools port, to take CPU profiles of the workers while the benchmark runs.
  inspectorPort: config.inspectorPort,
  handleStructuredLogs: ({ level, message }) => process.stderr.write(`[workerd ${level}] ${message}\n`),
  workers: [inlet, floor],
});

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  try {
    await mf.dispose();
  } finally {
    process.exit(code);
  }
}
process.on("SIGTERM", () => stop(0));
process.on("SIGINT", () => stop(0));

async function leadCount(worker) {
  const db = await mf.getD1Database("DB", worker);
  const row = await db.prepare("SELECT count(*) AS n FROM leads WHERE form_id = 'demo'").first();
  return row.n;
}

try {
  const inletUrl = await mf.unsafeGetDirectURL("inlet");
  const floorUrl = await mf.unsafeGetDirectURL("floor");
  process.stdout.write(`${JSON.stringify({ inlet: Number(inletUrl.port), floor: Number(floorUrl.port) })}\n`);
} catch (error) {
  process.stderr.write(`bench-edge driver: ${error?.stack ?? error}\n`);
  await stop(1);
}

const commands = createInterface({ input: process.stdin });
commands.on("line", async (line) => {
  try {
    if (line.trim() === "count") {
      const answer = { inlet: await leadCount("inlet"), floor: await leadCount("floor") };
      process.stdout.write(`${JSON.stringify(answer)}\n`);
    } else {
      process.stdout.write(`${JSON.stringify({ error: `unknown command ${line.trim()}` })}\n`);
    }
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ error: String(error?.message ?? error) })}\n`);
  }
});
commands.on("close", () => stop(0));
