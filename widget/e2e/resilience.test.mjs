// The widget never loses a lead and never stores one twice: lost answers, offline visitors, closed
// tabs, double clicks and rate limits, against the real edge.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { EXAMPLES, LeadForm, eventually, fillGoodLead, launch, newPage, query, uniqueEmail } from "./support.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const LEADS = "**/v1/forms/*/leads";
const rows = (email) => query(`SELECT id, spam FROM leads WHERE email = '${email.toLowerCase()}'`);
const thanks = (form) => eventually(() => form.status(), (t) => t.startsWith("Thank you"), "confirmation", 20_000);

test("an answer lost after the lead was stored: the retry carries the same key and stores nothing new", async () => {
  const page = await newPage(browser);
  const attempts = [];
  await page.route(LEADS, async (route) => {
    attempts.push(route.request().headers()["idempotency-key"]);
    if (attempts.length === 1) {
      await route.fetch(); // the real edge stores the lead ...
      await route.abort("connectionreset"); // ... and the answer never arrives
    } else {
      await route.continue();
    }
  });
  await page.goto(`${EXAMPLES}/script-tag.html`);
  const form = new LeadForm(page);
  await form.ready();
  const email = uniqueEmail("lost-answer");
  await fillGoodLead(form, email);
  await form.takeTimeLikeAPerson();
  await form.submit();
  await thanks(form);
  assert.equal(attempts.length, 2);
  assert.match(attempts[0], /^[0-9a-f]{32}$/);
  assert.equal(attempts[1], attempts[0], "the retry reuses the idempotency key");
  assert.equal(rows(email).length, 1);
  await page.close();
});

test("an offline visitor's lead waits in the outbox and goes when the browser is back online", async () => {
  const context = await browser.newContext();
  const page = await newPage(context);
  await page.goto(`${EXAMPLES}/script-tag.html`);
  const form = new LeadForm(page);
  await form.ready();
  const email = uniqueEmail("offline");
  await fillGoodLead(form, email);
  await form.takeTimeLikeAPerson();
  await context.setOffline(true);
  await form.submit();
  await eventually(() => form.status(), (t) => t.includes("saved on this device"), "saved in the outbox", 20_000);
  assert.equal(rows(email).length, 0);
  const stored = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("inlet:outbox:")));
  assert.equal(stored.length, 1, "kept in localStorage");
  await context.setOffline(false);
  await thanks(form);
  assert.equal(rows(email).length, 1);
  assert.equal(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("inlet:outbox:")).length), 0);
  await context.close();
});

test("a lead that could not be sent goes on the next page load, once", async () => {
  const context = await browser.newContext();
  const page = await newPage(context);
  let refused = 0;
  await page.route(LEADS, (route) => { refused += 1; route.fulfill({ status: 503, body: "" }); });
  await page.goto(`${EXAMPLES}/script-tag.html`);
  const form = new LeadForm(page);
  await form.ready();
  const email = uniqueEmail("next-visit");
  await fillGoodLead(form, email);
  await form.takeTimeLikeAPerson();
  await form.submit();
  await eventually(() => form.status(), (t) => t.startsWith("We could not reach"), "retrying", 10_000);
  await eventually(() => form.status(), (t) => t.includes("saved on this device"), "given up for now", 20_000);
  assert.ok(refused >= 2, `retried ${refused} times`);
  await page.close();

  // The visitor comes back later; the edge is reachable again.
  const again = await newPage(context);
  await again.goto(`${EXAMPLES}/script-tag.html`);
  const next = new LeadForm(again);
  await thanks(next);
  assert.equal(rows(email).length, 1);
  await context.close();
});

test("a double click sends one lead", async () => {
  const page = await newPage(browser);
  let posts = 0;
  page.on("request", (request) => { if (request.method() === "POST" && request.url().includes("/leads")) posts += 1; });
  await page.goto(`${EXAMPLES}/script-tag.html`);
  const form = new LeadForm(page);
  await form.ready();
  const email = uniqueEmail("double");
  await fillGoodLead(form, email);
  await form.takeTimeLikeAPerson();
  await page.getByRole("button", { name: "Send request" }).dblclick();
  await thanks(form);
  assert.equal(posts, 1);
  assert.equal(rows(email).length, 1);
  await page.close();
});

test("when the edge says too many, the visitor reads why, and the lead goes when allowed", async () => {
  const page = await newPage(browser);
  // The customer's page, embedding the `tight` form (one submission per visitor per 5 s).
  await page.goto(`${EXAMPLES}/script-tag.html?form=tight`);
  let form = new LeadForm(page);
  await form.ready();
  await fillGoodLead(form, uniqueEmail("tight-first"));
  await form.submit();
  await thanks(form);

  await page.reload();
  form = new LeadForm(page);
  await form.ready();
  const email = uniqueEmail("tight-second");
  await fillGoodLead(form, email);
  await form.submit();
  const sentence = await eventually(() => form.status(), (t) => t.startsWith("Many messages"), "rate-limit sentence");
  assert.match(sentence, /Yours will be sent automatically in \d+ seconds\./);
  await thanks(form);
  assert.equal(rows(email).length, 1);
  await page.close();
});
