// The widget on a page whose theme restyles everything it can reach (examples/hostile-styles.html: a
// 62.5% root, `*` and `div` rules with `!important`, two forms): at a desktop and a phone width both
// forms have the sizes they have on the plain script-tag page and the page's rules stay off the
// form's element; the room the loader reserves holds, and a lead still arrives. Screenshots of both
// pages go to target/e2e-screenshots/ to be looked at.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { EXAMPLES, LeadForm, assertAccessible, eventually, fillGoodLead, launch, newPage, query, uniqueEmail } from "./support.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const WIDTHS = [800, 375];
const SCREENSHOTS = "target/e2e-screenshots";
const HOST = ".inlet-form";

/** A page at `width` with every form on it ready, errors shown (their text has its own size). */
async function open(path, width) {
  const page = await newPage(browser);
  await page.setViewportSize({ width, height: 900 });
  await page.goto(`${EXAMPLES}/${path}`);
  const hosts = await page.locator(HOST).all();
  for (const host of hosts) {
    const form = new LeadForm(host);
    await form.ready();
    await form.submit();
    await eventually(() => form.errorFor("Your name *"), (t) => t.length > 0, "errors shown");
  }
  return { page, hosts };
}

/** What a visitor sees the size of in one form, read inside its shadow root. */
function sizes(host) {
  return host.evaluate((host) => {
    const element = (selector) => host.shadowRoot.querySelector(selector);
    const style = (selector) => getComputedStyle(element(selector));
    const box = (selector) => {
      const { width, height } = element(selector).getBoundingClientRect();
      return `${width}x${height}`;
    };
    return {
      cardPadding: style(".inlet-card").padding,
      titleFontSize: style(".inlet-title").fontSize,
      titleMargin: style(".inlet-title").margin,
      labelFontSize: style("label[for=inlet-name]").fontSize,
      helpFontSize: style("#inlet-phone-help").fontSize,
      errorFontSize: style("#inlet-name-error").fontSize,
      inputPadding: style("#inlet-name").padding,
      inputHeight: element("#inlet-name").getBoundingClientRect().height,
      checkbox: box("#inlet-consent"),
      submitPadding: style(".inlet-submit").padding,
      submit: box(".inlet-submit"),
    };
  });
}

/** The form's own element: the page's rules, `!important` or not, do not reach its box. */
function hostBox(host) {
  return host.evaluate((host) => {
    const style = getComputedStyle(host);
    return { tag: host.localName, display: style.display, margin: style.margin, padding: style.padding, border: style.borderWidth };
  });
}

for (const width of WIDTHS) {
  test(`at ${width}px, a hostile page's CSS leaves both forms as they are on the plain page`, async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const plain = await open("script-tag.html", width);
    const expected = await sizes(plain.hosts[0]);
    await plain.page.screenshot({ path: `${SCREENSHOTS}/plain-${width}.png`, fullPage: true });

    const hostile = await open("hostile-styles.html", width);
    assert.equal(hostile.hosts.length, 2);
    await hostile.page.screenshot({ path: `${SCREENSHOTS}/hostile-${width}.png`, fullPage: true });
    for (const [index, host] of hostile.hosts.entries()) {
      assert.deepEqual(await sizes(host), expected, `form ${index + 1} on the hostile page`);
      assert.deepEqual(await hostBox(host), { tag: "inlet-form", display: "block", margin: "0px", padding: "0px", border: "0px" },
        `form ${index + 1}'s own element`);
      const button = await host.getByRole("button", { name: "Send request" }).evaluate((el) => getComputedStyle(el).backgroundColor);
      assert.equal(button, "rgb(154, 52, 18)", "--inlet-accent on .inlet-form still themes the form");
    }
    assert.deepEqual(plain.page.errors, []);
    assert.deepEqual(hostile.page.errors, []);
    await plain.page.close();
    await hostile.page.close();
  });
}

test("on the hostile page a lead still arrives, and axe-core finds no WCAG 2.1 AA violations", async () => {
  const page = await newPage(browser);
  await page.setViewportSize({ width: 375, height: 900 });
  await page.goto(`${EXAMPLES}/hostile-styles.html`);
  const form = new LeadForm(page.locator(HOST).nth(1));
  await form.ready();
  await assertAccessible(page.mainFrame(), null);

  const email = uniqueEmail("hostile");
  await fillGoodLead(form, email);
  await form.takeTimeLikeAPerson();
  await form.submit();
  await eventually(() => form.status(), (t) => t.startsWith("Thank you"), "confirmation");
  const [row] = query(`SELECT form_id, spam FROM leads WHERE email = '${email.toLowerCase()}'`);
  assert.deepEqual(row, { form_id: "demo", spam: 0 });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("the room the loader reserves holds on the hostile page until the form arrives", async () => {
  const page = await newPage(browser);
  // Hold the wasm back: until it arrives, the forms are empty boxes of the reserved height.
  let release;
  const released = new Promise((resolve) => { release = resolve; });
  let downloads = 0;
  await page.route("**/pkg/inlet_widget_bg.wasm", async (route) => { downloads += 1; await released; await route.continue(); });
  const definitions = [];
  page.on("request", (request) => { if (/\/v1\/forms\/[^/]+$/.test(new URL(request.url()).pathname)) definitions.push(request.url()); });
  await page.goto(`${EXAMPLES}/hostile-styles.html`);
  const hosts = page.locator(HOST);
  const heights = () => hosts.evaluateAll((all) => all.map((host) => ({
    height: host.getBoundingClientRect().height,
    padding: getComputedStyle(host).paddingTop,
  })));
  // Once the widget's stylesheet applies, its `:host` rule has replaced the page's padding.
  const reserved = await eventually(heights, (h) => h.length === 2 && h.every((s) => s.padding === "0px"), "the widget's styles apply");
  // 24em of the widget's own font (the visitor's default, 16px), and the second tag's data-height="30rem".
  assert.deepEqual(reserved.map((s) => s.height), [384, 300]);
  // The forms' definitions were asked for while the wasm was still on its way, not after it.
  assert.equal(definitions.length, 2, `definitions requested before the wasm arrived: ${definitions.join(", ")}`);
  release();
  for (const host of await hosts.all()) await new LeadForm(host).ready();
  assert.equal(downloads, 1, "the page's two forms share one download of the widget");
  const settled = await hosts.evaluateAll((all) => all.map((host) => getComputedStyle(host).minHeight));
  // The loader's guess is dropped once the form is in; a data-height (the form builder's measure) stays.
  assert.deepEqual(settled, ["auto", "300px"], "the guessed reservation is dropped once the form is in, a data-height kept");
  await page.close();
});
