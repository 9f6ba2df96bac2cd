// What the dashboard's browser tests share: reading the emails the Worker sent to the local
// mailbox, and signing a business up and in through the emailed link, as a person does.
import assert from "node:assert/strict";
import { API, LeadForm, eventually, newPage } from "../../widget/e2e/support.mjs";

const MAILBOX = process.env.INLET_MAILBOX_URL;

/** The newest emailed link (sign-up, sign-in, invitation) to `address`, waiting for it. */
export async function linkTo(address) {
  const email = await eventually(
    async () => (await (await fetch(`${MAILBOX}/messages.json`)).json())
      .filter((m) => JSON.stringify(m.to).includes(address)).at(-1),
    (found) => found, `the email to ${address}`);
  return email.text.match(/https?:\/\/\S+\/app\/link#[0-9a-z]{52}/)[0];
}

/** Opens an emailed link in `page`, presses Continue, and waits for the inbox. */
export async function follow(page, link) {
  await page.goto(link);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByRole("heading", { level: 1, name: "Inbox" }).waitFor();
}

/** Signs up a business by the API, then opens its emailed link in `page` and continues. */
export async function signUp(page, business, address) {
  const sent = await fetch(`${API}/v1/account/sign-up`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ business_name: business, email: address }),
  });
  assert.equal(sent.status, 202);
  await follow(page, await linkTo(address));
}

/** Checks `page` at a phone's width (360 px) is no wider than the screen, and keeps a screenshot
 * of it in `target/dashboard-{name}-phone.png`; then back to a desktop's width. */
export async function assertFitsAPhone(page, name) {
  await page.setViewportSize({ width: 360, height: 740 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the ${name} page is ${overflow}px wider than a phone`);
  await page.screenshot({ path: `target/dashboard-${name}-phone.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
}

/** A visitor sends a lead on the business's iframe embed page, as a person would, and waits for
 * the confirmation; returns the visitor's page. `business` names the consent's business. */
export async function sendOnEmbed(browser, formId, business, { name, email, message }) {
  const visitor = await newPage(browser);
  await visitor.goto(`${API}/embed/${formId}`);
  const form = new LeadForm(visitor);
  await form.ready("Send");
  await form.input("Your name *").fill(name);
  await form.input("Email *").fill(email);
  if (message) await form.input("How can we help?").fill(message);
  await form.input(`I agree that ${business} may contact me about my request. *`).check();
  await form.takeTimeLikeAPerson();
  await visitor.getByRole("button", { name: "Send" }).click();
  await eventually(() => form.status(), (t) => t.startsWith("Thank you"), "the visitor's confirmation");
  return visitor;
}
