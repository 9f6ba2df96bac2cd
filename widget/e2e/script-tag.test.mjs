// The script-tag embed on a customer's page: errors first, then a lead that lands in D1.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { EXAMPLES, LeadForm, assertAccessible, eventually, fillGoodLead, launch, newPage, query, uniqueEmail } from "./support.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("a visitor sees field errors, corrects them, sends, and the lead is in D1", async () => {
  const page = await newPage(browser);
  await page.goto(`${EXAMPLES}/script-tag.html?utm_source=newsletter&utm_campaign=spring`);
  const form = new LeadForm(page);
  await form.ready();

  // Sending the empty form shows every required field's error and moves focus to the first.
  await form.submit();
  await eventually(() => form.errorFor("Your name *"), (t) => t === "Please fill in this field.", "name error");
  assert.equal(await form.errorFor("Email *"), "Please enter your email address.");
  assert.equal(await form.errorFor("Phone"), "");
  assert.ok(await form.invalid("Your name *"));
  assert.ok(!(await form.invalid("Phone")));
  assert.equal(await form.status(), "Please correct the 3 highlighted fields.");
  assert.equal(await eventually(() => form.focusedId(), (id) => id === "inlet-name", "focus"), "inlet-name");

  // A bad email shows its own error once the visitor leaves the field, and clears as they fix it.
  const email = uniqueEmail("script");
  await form.input("Email *").fill("ada@");
  await form.input("Email *").press("Tab");
  assert.equal(await form.errorFor("Email *"), "Please enter a valid email address, like name@example.com.");
  await fillGoodLead(form, email);
  assert.equal(await form.errorFor("Email *"), "");
  await form.takeTimeLikeAPerson();
  assert.ok(!(await form.invalid("Your name *")));

  await form.submit();
  const status = await eventually(() => form.status(), (t) => t.startsWith("Thank you"), "confirmation");
  assert.equal(status, "Thank you! Your request is in. We will call you within one business day.");
  assert.ok(!(await page.getByRole("button", { name: "Send request" }).isVisible()), "the form is replaced by the confirmation");

  const [row] = query(`SELECT * FROM leads WHERE email = '${email.toLowerCase()}'`);
  assert.ok(row, "the lead is stored");
  assert.equal(row.tenant_id, "t_demo");
  assert.equal(row.form_id, "demo");
  assert.equal(row.spam, 0, `flagged as ${row.spam_reason}`);
  assert.equal(row.phone, "+14155550123");
  assert.equal(row.utm_source, "newsletter");
  assert.equal(row.utm_campaign, "spring");
  assert.equal(row.page_url, `${EXAMPLES}/script-tag.html?utm_source=newsletter&utm_campaign=spring`);
  assert.deepEqual(JSON.parse(row.fields), {
    name: "Ada Lovelace", email: email.toLowerCase(), phone: "+14155550123",
    message: "A few tiles blew off in the storm.", consent: true,
  });
  assert.equal(JSON.parse(row.consents)[0].version, "2026-11-01");
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("the server's field errors show next to the fields", async () => {
  const page = await newPage(browser);
  // Tamper with the request on its way out, as a broken or hostile client might: the real edge refuses it.
  await page.route("**/v1/forms/demo/leads", (route) => {
    const body = JSON.parse(route.request().postData());
    body.fields.email = "not-an-address";
    route.continue({ postData: JSON.stringify(body) });
  });
  await page.goto(`${EXAMPLES}/script-tag.html`);
  const form = new LeadForm(page);
  await form.ready();
  await fillGoodLead(form, uniqueEmail("tampered"));
  await form.submit();
  await eventually(() => form.status(), (t) => t === "Please correct the highlighted field.", "status");
  assert.equal(await form.errorFor("Email *"), "Please enter a valid email address, like name@example.com.");
  assert.ok(await form.invalid("Email *"));
  assert.equal(await eventually(() => form.focusedId(), (id) => id === "inlet-email", "focus"), "inlet-email");
  await page.close();
});

test("the host page's CSS cannot restyle the form, but its theme variables do", async () => {
  const page = await newPage(browser);
  await page.goto(`${EXAMPLES}/script-tag.html`);
  const form = new LeadForm(page);
  await form.ready();
  const input = await form.input("Your name *").evaluate((el) => getComputedStyle(el).fontSize);
  assert.notEqual(input, "30px", "the site's `input { font-size: 30px }` leaked in");
  const button = await page.getByRole("button", { name: "Send request" }).evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.equal(button, "rgb(154, 52, 18)", "--inlet-accent from the host page themes the button");
  assert.equal(await page.locator("script[data-form]").count(), 0, "the script tag was replaced by the form");
  await page.close();
});

test("axe-core finds no WCAG 2.1 AA violations in the widget, before and after errors", async () => {
  const page = await newPage(browser);
  await page.goto(`${EXAMPLES}/script-tag.html`);
  const form = new LeadForm(page);
  await form.ready();
  await assertAccessible(page.mainFrame(), ".inlet-form");
  await form.submit();
  await eventually(() => form.errorFor("Email *"), (t) => t.length > 0, "errors shown");
  await assertAccessible(page.mainFrame(), ".inlet-form");
  await page.close();
});
