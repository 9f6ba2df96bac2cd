// Shared pieces of the browser tests: Chromium, the page object for the lead form, D1 queries
// through wrangler, and axe-core. `cargo xtask test` starts the stack and sets the INLET_* variables.
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import assert from "node:assert/strict";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser tests through \`cargo xtask test\``);
  return value;
};

export const API = env("INLET_API_URL");
export const EXAMPLES = env("INLET_EXAMPLES_URL");

export function launch() {
  return chromium.launch({
    executablePath: process.env.INLET_CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
}

/** A new page that fails the test on any uncaught script error. */
export async function newPage(browser) {
  const page = await browser.newPage();
  page.errors = [];
  page.on("pageerror", (error) => page.errors.push(error.message));
  return page;
}

/** Rows of the last statement, from the stack's local D1. */
export function query(sql) {
  const out = execFileSync(env("INLET_NODE"), [env("INLET_WRANGLER"), "d1", "execute", "DB", "--local", "--json",
    "--persist-to", env("INLET_PERSIST"), "--command", sql], {
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", NO_COLOR: "1" },
    encoding: "utf8",
  });
  return JSON.parse(out).at(-1).results;
}

/** Polls `read` until it returns something `accept` likes, or fails with the last value. */
export async function eventually(read, accept, what, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    last = await read();
    if (accept(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`${what}: last saw ${JSON.stringify(last)}`);
}

/** The lead form as a visitor meets it, in the page (script tag) or in a frame (iframe embed). */
export class LeadForm {
  constructor(root) {
    this.root = root;
  }

  async ready(button = "Send request") {
    await this.root.getByRole("button", { name: button }).waitFor({ timeout: 15_000 });
    this.readyAt = Date.now();
  }

  /** Waits until the form has been open as long as a person needs (the demo's minimum is 2 s). */
  async takeTimeLikeAPerson() {
    const wait = (this.readyAt ?? 0) + 2_200 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  input(label) {
    return this.root.getByLabel(label, { exact: true });
  }

  /** The error text shown for a field, read through the input's aria-describedby. */
  async errorFor(label) {
    const input = this.input(label);
    const ids = (await input.getAttribute("aria-describedby")) || "";
    const errorId = ids.split(" ").find((id) => id.endsWith("-error"));
    if (!errorId) return "";
    return (await this.root.locator(`#${errorId}`).textContent()).trim();
  }

  async invalid(label) {
    return (await this.input(label).getAttribute("aria-invalid")) === "true";
  }

  async submit() {
    await this.root.getByRole("button", { name: "Send request" }).click();
  }

  async status() {
    return ((await this.root.getByRole("status").textContent()) || "").trim();
  }

  /** The id of the element that has focus, looking inside the widget's shadow root. */
  async focusedId() {
    return this.root.locator(":root").evaluate(() => {
      let element = document.activeElement;
      while (element && element.shadowRoot && element.shadowRoot.activeElement) element = element.shadowRoot.activeElement;
      return element ? element.id : null;
    });
  }
}

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/** axe-core's WCAG 2.1 A/AA violations inside `selector` (open shadow roots included). */
export async function axeViolations(frame, selector) {
  await frame.evaluate(axeSource);
  return frame.evaluate(async (selector) => {
    const result = await window.axe.run(selector ? document.querySelector(selector) : document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    });
    return {
      violations: result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`),
      labelledInputs: result.passes.find((p) => p.id === "label")?.nodes.length ?? 0,
    };
  }, selector);
}

/** Asserts axe saw the form's inputs (so the check is not vacuous) and found nothing wrong. */
export async function assertAccessible(frame, selector) {
  const { violations, labelledInputs } = await axeViolations(frame, selector);
  assert.deepEqual(violations, []);
  assert.ok(labelledInputs >= 4, `axe checked the labels of only ${labelledInputs} inputs`);
}

export const CONSENT = "I agree that Demo Roofing may contact me about my request.";

/** Fills the demo form with good values. */
export async function fillGoodLead(form, email) {
  await form.input("Your name *").fill("Ada Lovelace");
  await form.input("Email *").fill(email);
  await form.input("Phone").fill("(415) 555-0123");
  await form.input("How can we help?").fill("A few tiles blew off in the storm.");
  await form.input(`${CONSENT} *`).check();
}

export function uniqueEmail(tag) {
  return `ada.${tag}.${Date.now()}@Example.com`;
}
