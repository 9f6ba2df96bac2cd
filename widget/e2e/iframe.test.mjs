// The iframe embed on a customer's page: the same form, served by the Worker, sized to its content.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { EXAMPLES, LeadForm, assertAccessible, eventually, fillGoodLead, launch, newPage, query, uniqueEmail } from "./support.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("a visitor sends a lead through the iframe embed and it is in D1", async () => {
  const page = await newPage(browser);
  await page.goto(`${EXAMPLES}/iframe.html`);
  const form = new LeadForm(page.frameLocator("iframe.inlet"));
  await form.ready();

  await form.submit();
  await eventually(() => form.errorFor("Email *"), (t) => t === "Please enter your email address.", "email error");
  assert.equal(await form.status(), "Please correct the 3 highlighted fields.");

  const email = uniqueEmail("iframe");
  await fillGoodLead(form, email);
  await form.takeTimeLikeAPerson();
  await form.submit();
  await eventually(() => form.status(), (t) => t.startsWith("Thank you"), "confirmation");

  const [row] = query(`SELECT * FROM leads WHERE email = '${email.toLowerCase()}'`);
  assert.ok(row, "the lead is stored");
  assert.equal(row.tenant_id, "t_demo");
  assert.equal(row.form_id, "demo");
  assert.equal(row.spam, 0, `flagged as ${row.spam_reason}`);
  // Inside the frame, the embedding page is known only as the referrer (its origin, by default policy).
  assert.ok(row.page_url.startsWith(EXAMPLES), row.page_url);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("the iframe grows and shrinks with its content", async () => {
  const page = await newPage(browser);
  await page.goto(`${EXAMPLES}/iframe.html`);
  const form = new LeadForm(page.frameLocator("iframe.inlet"));
  await form.ready();
  const frame = page.frame({ url: /\/embed\/demo/ });
  const sizes = async () => ({
    iframe: await page.locator("iframe.inlet").evaluate((el) => el.getBoundingClientRect().height),
    content: await frame.evaluate(() => Math.ceil(document.body.getBoundingClientRect().height)),
  });
  const fits = (s) => Math.abs(s.iframe - s.content) <= 2;
  const before = await eventually(sizes, fits, "iframe fits its form");
  assert.notEqual(Math.round(before.iframe), 480, "the page's fixed 30rem height was replaced");

  await form.submit(); // error messages make the form taller
  const taller = await eventually(sizes, (s) => fits(s) && s.content > before.content, "iframe grows with errors");
  await fillGoodLead(form, uniqueEmail("resize"));
  await form.submit(); // the confirmation is much shorter than the form
  await eventually(sizes, (s) => fits(s) && s.content < taller.content, "iframe shrinks to the confirmation");
  await page.close();
});

test("axe-core finds no WCAG 2.1 AA violations in the embed page", async () => {
  const page = await newPage(browser);
  await page.goto(`${EXAMPLES}/iframe.html`);
  const form = new LeadForm(page.frameLocator("iframe.inlet"));
  await form.ready();
  const frame = page.frame({ url: /\/embed\/demo/ });
  await assertAccessible(frame, null);
  await page.close();
});

test("a frame of a form that no longer exists shows a sentence, not a browser error", async () => {
  const page = await newPage(browser);
  await page.goto(`${EXAMPLES}/iframe.html?form=deleted-form`);
  const frame = page.frameLocator("iframe.inlet");
  // Blocked framing would leave Chromium's error page (or nothing) in the frame instead.
  await frame.getByText("This form is not available.").waitFor({ timeout: 10_000 });
  assert.deepEqual(page.errors, []);
  await page.close();
});
