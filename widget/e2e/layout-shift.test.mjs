// Whether the page around the widget moves when the form arrives, by the browser's own Layout
// Instability API (what Lighthouse's cumulative layout shift adds up). With the height the form builder
// measured (examples/exact-height.html: a box of that height around the tag, and `data-height` on it),
// the room is there before any script runs and stays, and nothing moves; with the one-line snippet the
// loader can only reserve its guess (24em) once it runs, after the page's first paint.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { EXAMPLES, LeadForm, launch, newPage } from "./support.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** The shift with the one-line snippet at 1280 x 720, measured with this test on the loader before the load path changed (0.0306; 0.0141 after it); it must not grow. */
const SHIFT_WITHOUT_HEIGHT = 0.0306;

/**
 * Loads the script-tag example (the one with the form's measured height when `height` is given), holding the
 * widget's wasm back until the page has settled around the empty reserved box, then lets it in.
 * Returns the layout shift summed over the load, and where the paragraph after the form was before
 * and after the form arrived.
 */
async function load(height, viewport) {
  const page = await newPage(browser);
  await page.setViewportSize(viewport);
  await page.addInitScript(() => {
    window.__shift = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__shift += entry.value;
    }).observe({ type: "layout-shift", buffered: true });
  });
  // The snippet with a height, as the form builder gives it, or the plain one-line snippet.
  const example = height ? `${EXAMPLES}/exact-height.html?height=${height}` : `${EXAMPLES}/script-tag.html`;
  let release;
  const released = new Promise((resolve) => { release = resolve; });
  await page.route("**/pkg/inlet_widget_bg.wasm", async (route) => { await released; await route.continue(); });
  await page.goto(example);
  const after = page.getByText("Licensed and insured since 1998.");
  // The empty box is laid out (its stylesheet applied) before the form arrives.
  await page.locator("inlet-form").evaluate((host) => new Promise((resolve) => {
    const sheet = host.shadowRoot.querySelector("link");
    if (sheet.sheet) resolve(); else sheet.addEventListener("load", resolve);
  }));
  const before = (await after.boundingBox()).y;
  release();
  await new LeadForm(page).ready();
  // Two frames, so any shift the form's arrival caused has been reported.
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  const result = {
    shift: await page.evaluate(() => window.__shift),
    before,
    after: (await after.boundingBox()).y,
    formHeight: await page.locator("inlet-form").evaluate((host) => host.shadowRoot.querySelector(".inlet").getBoundingClientRect().height),
  };
  assert.deepEqual(page.errors, []);
  await page.close();
  return result;
}

const DESKTOP = { width: 1280, height: 720 };
const PHONE = { width: 375, height: 812 };

test("with the measured data-height on its tag, the form arrives without moving the page", async () => {
  for (const viewport of [DESKTOP, PHONE]) {
    // What the form builder does: measure the form as the visitor will see it.
    const { formHeight } = await load(null, viewport);
    const height = `${Math.ceil(formHeight)}px`;
    const { shift, before, after } = await load(height, viewport);
    assert.equal(after, before, `at ${viewport.width}px the paragraph after the form moved from ${before} to ${after} px`);
    assert.equal(shift, 0, `cumulative layout shift at ${viewport.width}px with data-height="${height}"`);
  }
});

test("without a data-height, the page moves no more than it did before the load path changed", async () => {
  const { shift } = await load(null, DESKTOP);
  assert.ok(shift <= SHIFT_WITHOUT_HEIGHT, `cumulative layout shift ${shift} (it was ${SHIFT_WITHOUT_HEIGHT})`);
});
