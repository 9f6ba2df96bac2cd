// The widget on a page with a strict Content-Security-Policy, and in the visitor's language.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { EXAMPLES, LeadForm, assertAccessible, eventually, launch, newPage, query, uniqueEmail } from "./support.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("a page whose CSP forbids inline scripts and styles runs the widget, styled, with no violation", async () => {
  const page = await newPage(browser);
  const violations = [];
  page.on("console", (message) => { if (/Content Security Policy/i.test(message.text())) violations.push(message.text()); });
  await page.goto(`${EXAMPLES}/strict-csp.html`);
  const form = new LeadForm(page);
  await form.ready();
  const button = await page.getByRole("button", { name: "Send request" }).evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.equal(button, "rgb(154, 52, 18)", "the widget's stylesheet loaded under the nonce");

  const email = uniqueEmail("csp");
  await form.input("Your name *").fill("Grace Hopper");
  await form.input("Email *").fill(email);
  await form.input("I agree that Demo Roofing may contact me about my request. *").check();
  await form.takeTimeLikeAPerson();
  await form.submit();
  await eventually(() => form.status(), (t) => t.startsWith("Thank you"), "confirmation");
  assert.equal(query(`SELECT count(*) AS n FROM leads WHERE email = '${email.toLowerCase()}'`)[0].n, 1);
  assert.deepEqual(violations, []);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("the page's lang picks Spanish", async () => {
  const page = await newPage(browser);
  await page.goto(`${EXAMPLES}/es.html`);
  const form = new LeadForm(page);
  await form.ready();
  await form.submit();
  await eventually(() => form.status(), (t) => t === "Corrige los 3 campos marcados.", "Spanish summary");
  assert.equal(await form.errorFor("Email *"), "Introduce tu dirección de correo electrónico.");
  await form.input("Email *").fill("ana@");
  assert.equal(await form.errorFor("Email *"), "Introduce una dirección de correo válida, como nombre@ejemplo.com.");
  assert.equal(await page.locator(".inlet-card").getAttribute("lang"), "es");
  await assertAccessible(page.mainFrame(), ".inlet-form");
  await page.close();
});

test("data-locale picks French inside the iframe embed", async () => {
  const page = await newPage(browser);
  await page.goto(`${EXAMPLES}/iframe.html?locale=fr`);
  const form = new LeadForm(page.frameLocator("iframe.inlet"));
  await form.ready();
  await form.submit();
  await eventually(() => form.status(), (t) => t === "Veuillez corriger les 3 champs signalés.", "French summary");
  assert.equal(await form.errorFor("Phone"), "");
  assert.equal(await form.errorFor("Your name *"), "Veuillez remplir ce champ.");
  await page.close();
});
