// The kinds of field the demo form does not have: a select with help text, a plain checkbox, a
// multi-line field with a limit, a hidden field the embedding page fills, and a phone read in the
// form's own country. The form `kinds` is seeded for these tests only.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { API, EXAMPLES, LeadForm, assertAccessible, eventually, launch, newPage, query, uniqueEmail } from "./support.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("every kind of field renders, validates as the visitor goes and arrives as typed", async () => {
  const page = await newPage(browser);
  await page.goto(`${EXAMPLES}/index.html`);
  // The embed a site owner would paste, with a hidden value set by the page.
  await page.evaluate((api) => {
    const script = document.createElement("script");
    script.src = `${api}/widget.js`;
    script.dataset.form = "kinds";
    script.dataset.fieldCampaign = "spring-mailer";
    document.body.append(script);
  }, API);
  const form = new LeadForm(page);
  await form.ready("Send");
  const send = () => page.getByRole("button", { name: "Send" }).click();

  const service = form.input("Service *");
  assert.deepEqual(await service.locator("option").allTextContents(), ["Choose…", "Roof repair", "Gutters", "Chimney"]);
  assert.equal(await service.inputValue(), "", "nothing is chosen until the visitor chooses");
  const describedBy = (await service.getAttribute("aria-describedby")) || "";
  assert.equal(await page.locator(`#${describedBy.split(" ")[0]}`).textContent(), "Pick the closest.");
  assert.equal(await page.getByLabel("Campaign").count(), 0, "a hidden field is not shown");

  await send();
  await eventually(() => form.status(), (t) => t === "Please correct the 3 highlighted fields.", "summary");
  assert.equal(await form.errorFor("Service *"), "Please choose an option.");
  assert.ok(await form.invalid("Service *"));
  assert.equal(await form.errorFor("Send me the seasonal newsletter"), "", "an unticked optional box is fine");

  await service.selectOption("Gutters");
  assert.equal(await form.errorFor("Service *"), "");
  assert.ok(!(await form.invalid("Service *")));
  // The browser itself stops at the form's limit.
  await form.input("Notes").fill("x".repeat(51));
  assert.equal((await form.input("Notes").inputValue()).length, 50);
  await form.input("Notes").fill("Line one\nLine two");
  assert.equal(await form.errorFor("Notes"), "");
  await form.input("Phone").fill("020 7946 0018");
  await form.input("Send me the seasonal newsletter").check();
  const email = uniqueEmail("kinds");
  await form.input("Email *").fill(email);
  await form.input("You may contact me about my request. *").check();
  await assertAccessible(page.mainFrame(), ".inlet-form");

  await send();
  await eventually(() => form.status(), (t) => t.startsWith("Thank you"), "confirmation");
  const rows = query(`SELECT fields, phone, consents FROM leads WHERE form_id = 'kinds' AND email = '${email.toLowerCase()}'`);
  assert.equal(rows.length, 1);
  assert.deepEqual(JSON.parse(rows[0].fields), {
    campaign: "spring-mailer",
    consent: true,
    email: email.toLowerCase(),
    newsletter: true,
    notes: "Line one\nLine two",
    phone: "+442079460018",
    service: "Gutters",
  });
  assert.equal(rows[0].phone, "+442079460018");
  assert.deepEqual(JSON.parse(rows[0].consents).map((c) => [c.text, c.version, c.given]),
    [["You may contact me about my request.", "v2", true]]);
  assert.deepEqual(page.errors, []);
  await page.close();
});
