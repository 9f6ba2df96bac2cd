// A form token counts for an hour. A visitor who leaves the tab open over lunch, and a lead that waits
// in the outbox until the next day, still get through as a person's: the widget renews an old token
// before it sends. The browser's clock is moved with Playwright's fake clock; the edge's cannot be, so
// the token the page is served is one signed (with the stack's own secret) as if served that long ago.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { API, EXAMPLES, LeadForm, eventually, fillGoodLead, launch, newPage, query, uniqueEmail } from "./support.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const MINUTE = 60_000;

/** A token for `form` as the edge would have issued it `ageMs` ago. */
function tokenIssuedAgo(form, ageMs) {
  const env = readFileSync(join(process.env.INLET_PERSIST, "worker.env"), "utf8");
  const secret = env.match(/^INLET_SECRET="([^"]+)"$/m)[1];
  const issued = Date.now() - ageMs;
  const signature = createHmac("sha256", secret).update(`form-token\n${form}\n${issued}`).digest("hex").slice(0, 32);
  return `${issued}.${signature}`;
}

/** Serves the demo form with `token` in place of the one the edge issued, and records renewals. */
async function serveOldToken(page, token) {
  const renewals = [];
  await page.route("**/v1/forms/demo", async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, headers: { ...response.headers(), "inlet-form-token": token } });
  });
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.pathname === "/v1/forms/demo/token") renewals.push(url.searchParams.get("previous"));
  });
  return renewals;
}

/**
 * Waits for a status `accept` likes while the widget's retries run on the browser's fake clock: moves
 * the clock on a little at a time, and only after looking, since a step past a state (say "saved")
 * would start the widget's next try and hide it.
 */
function statusOnTheBrowsersClock(page, form, accept, what) {
  return eventually(async () => {
    const status = await form.status();
    if (!accept(status)) await page.clock.fastForward(2_000);
    return status;
  }, accept, what, 60_000);
}

const row = (email) => query(`SELECT spam, spam_reason FROM leads WHERE email = '${email.toLowerCase()}'`)[0];

test("the old token alone no longer counts as a person's", async () => {
  const email = uniqueEmail("stale-token");
  const response = await fetch(`${API}/v1/forms/demo/leads`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      fields: { name: "Ada", email, consent: true },
      token: tokenIssuedAgo("demo", 90 * MINUTE),
    }),
  });
  assert.equal(response.status, 201);
  assert.deepEqual(row(email), { spam: 1, spam_reason: "token_expired" });
});

test("a visitor back from lunch gets through: the widget renews its token before sending", async () => {
  const page = await newPage(browser);
  await page.clock.install();
  const served = tokenIssuedAgo("demo", 90 * MINUTE);
  const renewals = await serveOldToken(page, served);
  await page.goto(`${EXAMPLES}/script-tag.html`);
  const form = new LeadForm(page);
  await form.ready();
  const email = uniqueEmail("lunch");
  await fillGoodLead(form, email);
  // An hour and a half at lunch, by the browser's clock; the edge served the token that long ago.
  await page.clock.fastForward("01:30:00");
  await form.submit();
  await eventually(() => form.status(), (t) => t.startsWith("Thank you"), "confirmation", 20_000);
  assert.deepEqual(renewals, [served], "one renewal, of the token the page was served");
  assert.deepEqual(row(email), { spam: 0, spam_reason: null });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("a lead that waited in the outbox until the next day goes as a person's", async () => {
  const context = await browser.newContext();
  const page = await newPage(context);
  await page.clock.install();
  const served = tokenIssuedAgo("demo", 25 * 60 * MINUTE);
  const renewals = await serveOldToken(page, served);
  await page.goto(`${EXAMPLES}/script-tag.html`);
  const form = new LeadForm(page);
  await form.ready();
  const email = uniqueEmail("next-day");
  await fillGoodLead(form, email);
  await page.clock.fastForward("00:00:05");
  await context.setOffline(true);
  await form.submit();
  await statusOnTheBrowsersClock(page, form, (t) => t.includes("saved on this device"), "saved in the outbox");
  assert.equal(row(email), undefined);
  // The next day, the connection is back.
  await page.clock.fastForward("24:00:00");
  await context.setOffline(false);
  await statusOnTheBrowsersClock(page, form, (t) => t.startsWith("Thank you"), "confirmation");
  assert.ok(renewals.includes(served), `renewed the day-old token: ${JSON.stringify(renewals)}`);
  assert.deepEqual(row(email), { spam: 0, spam_reason: null });
  assert.deepEqual(page.errors, []);
  await context.close();
});
