// The honeypot is a trap for bots only: people never see it, assistive technology never reads it,
// and the browser's own autofill never fills it, so a person who autofills is never taken for a bot.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { CONSENT, EXAMPLES, LeadForm, eventually, launch, newPage, query, uniqueEmail } from "./support.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const TRAP = ".inlet-hp input";
/** Words autofill heuristics and password managers look for in a field's name, id and label. */
const AUTOFILL_WORDS = /web|site|url|name|mail|phone|tel|address|street|city|zip|postal|country|company|org|user|login|pass/i;

/** The DevTools Protocol's id for the element `expression` evaluates to. */
async function backendNodeId(cdp, expression) {
  const { result } = await cdp.send("Runtime.evaluate", { expression });
  const { node } = await cdp.send("DOM.describeNode", { objectId: result.objectId });
  return node.backendNodeId;
}

const inShadow = (selector) => `document.querySelector(".inlet-form").shadowRoot.querySelector(${JSON.stringify(selector)})`;

test("the honeypot has no name, id or label autofill knows, no tab stop, and no place in the accessibility tree", async () => {
  const page = await newPage(browser);
  await page.goto(`${EXAMPLES}/script-tag.html`);
  await new LeadForm(page).ready();
  const trap = await page.locator(TRAP).evaluate((input) => ({
    type: input.type,
    autocomplete: input.getAttribute("autocomplete"),
    tabindex: input.getAttribute("tabindex"),
    name: input.getAttribute("name"),
    id: input.id,
    label: [...input.labels].map((label) => label.textContent).join(" "),
    wrapper: { ariaHidden: input.parentElement.getAttribute("aria-hidden"), inert: input.parentElement.inert },
  }));
  const { id, label, ...attributes } = trap;
  assert.deepEqual(attributes, {
    type: "text", autocomplete: "off", tabindex: "-1", name: null, wrapper: { ariaHidden: "true", inert: true },
  });
  assert.doesNotMatch(id.replace(/^inlet-/, ""), AUTOFILL_WORDS);
  assert.equal(label, "Leave this field empty");
  assert.doesNotMatch(label, AUTOFILL_WORDS);

  // Chromium's own accessibility tree leaves it out.
  const cdp = await page.context().newCDPSession(page);
  const { nodes } = await cdp.send("Accessibility.getPartialAXTree", {
    backendNodeId: await backendNodeId(cdp, inShadow(TRAP)), fetchRelatives: false,
  });
  assert.equal(nodes[0].ignored, true, JSON.stringify(nodes[0]));
  await page.close();
});

test("Chromium's autofill fills the visitor's fields, never the honeypot, and the lead is not spam", async () => {
  const page = await newPage(browser);
  await page.goto(`${EXAMPLES}/script-tag.html`);
  const form = new LeadForm(page);
  await form.ready();
  const email = uniqueEmail("autofill");
  // A full address profile, as a visitor's browser holds it: a trap that looked like any of these
  // fields would be filled too (Chromium ignores autocomplete="off" for addresses).
  const address = { fields: [
    { name: "NAME_FULL", value: "Ada Lovelace" }, { name: "EMAIL_ADDRESS", value: email },
    { name: "PHONE_HOME_WHOLE_NUMBER", value: "+14155550123" }, { name: "COMPANY_NAME", value: "Analytical Engines" },
    { name: "ADDRESS_HOME_LINE1", value: "12 St James's Square" }, { name: "ADDRESS_HOME_CITY", value: "London" },
    { name: "ADDRESS_HOME_ZIP", value: "SW1Y 4JH" }, { name: "ADDRESS_HOME_COUNTRY", value: "GB" },
  ] };
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Autofill.trigger", { fieldId: await backendNodeId(cdp, inShadow("#inlet-name")), address });

  assert.equal(await form.input("Your name *").inputValue(), "Ada Lovelace");
  assert.equal(await form.input("Email *").inputValue(), email);
  assert.equal(await form.input("Phone").inputValue(), "+14155550123");
  assert.equal(await page.locator(TRAP).inputValue(), "", "autofill filled the honeypot");

  await form.input(`${CONSENT} *`).check();
  await form.takeTimeLikeAPerson();
  await form.submit();
  await eventually(() => form.status(), (t) => t.startsWith("Thank you"), "confirmation");
  const [row] = query(`SELECT json_extract(fields, '$.name') AS name, phone, spam, spam_reason FROM leads WHERE email = '${email.toLowerCase()}'`);
  assert.deepEqual(row, { name: "Ada Lovelace", phone: "+14155550123", spam: 0, spam_reason: null });
  assert.deepEqual(page.errors, []);
  await page.close();
});
