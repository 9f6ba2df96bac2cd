// The dashboard's accounts as a person uses them in Chromium: sign up, open the link from the local
// mailbox, land on the business's forms with a working embed snippet, set a password, sign out,
// sign in with the password, and every page checked by axe-core, at desktop and phone width.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { API, axeViolations, eventually, launch, newPage } from "../../widget/e2e/support.mjs";
import { assertFitsAPhone } from "./support.mjs";

const MAILBOX = process.env.INLET_MAILBOX_URL;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** The newest email to `address` in the local mailbox, once it has arrived. */
async function newestEmailTo(address, count = 1) {
  const all = await eventually(
    async () => (await (await fetch(`${MAILBOX}/messages.json`)).json()).filter((m) => JSON.stringify(m.to).includes(address)),
    (found) => found.length >= count,
    `email ${count} to ${address}`,
  );
  return all.at(-1);
}

/** The link in an email, after checking it points at this installation's dashboard. */
function linkIn(email) {
  const match = email.text.match(/https?:\/\/\S+\/app\/link#[0-9a-z]{52}/);
  assert.ok(match, `no link in: ${email.text}`);
  assert.ok(match[0].startsWith(`${API}/app/link#`), match[0]);
  return match[0];
}

async function assertNoViolations(page, what) {
  const { violations } = await axeViolations(page);
  assert.deepEqual(violations, [], what);
}

test("a business signs up, confirms by email, copies its snippet, sets a password and signs back in", async () => {
  const page = await newPage(browser);
  const address = `owner.${Date.now()}@dashboard.example`;

  await page.goto(`${API}/app/sign-up`);
  await page.getByRole("heading", { level: 1, name: "Create your Inlet account" }).waitFor();
  await assertNoViolations(page, "sign-up page");
  // Keyboard only: the business name field first, then the email, then the button.
  await page.getByLabel("Business name").fill("Harbour Plumbing");
  await page.keyboard.press("Tab");
  await page.keyboard.type(address);
  await page.keyboard.press("Enter");
  await eventually(() => page.getByRole("status").first().textContent(), (t) => t.includes("Check your inbox"), "sent");

  // The link from the mailbox, opened in the browser: one press of a button signs in.
  const link = linkIn(await newestEmailTo(address));
  await page.goto(link);
  await page.getByRole("heading", { level: 1, name: "Continue to Inlet" }).waitFor();
  assert.equal(new URL(page.url()).hash, "", "the token leaves the address bar at once");
  await assertNoViolations(page, "link page");
  await page.screenshot({ path: "target/dashboard-link.png" });
  await page.getByRole("button", { name: "Continue" }).click();

  // The inbox first (empty for a new business), then the forms, with the snippet to paste.
  await page.getByRole("heading", { level: 1, name: "Inbox" }).waitFor();
  await page.getByRole("link", { name: "Forms" }).click();
  await page.getByRole("heading", { level: 1, name: "Your forms" }).waitFor();
  await page.getByRole("heading", { level: 2, name: "Harbour Plumbing" }).waitFor();
  const snippet = await page.locator("pre code").first().textContent();
  const formId = snippet.match(/data-form="(f_[0-9a-z]{26})"/)?.[1];
  assert.ok(formId, snippet);
  assert.ok(snippet.startsWith(`<script src="${API}/widget.js"`), snippet);
  await assertNoViolations(page, "forms page");
  // The snippet's form is live.
  const form = await fetch(`${API}/v1/forms/${formId}`);
  assert.equal(form.status, 200);
  assert.ok((await form.text()).includes("I agree that Harbour Plumbing may contact me"));
  // A reload of a deep link keeps the person signed in and on the page.
  await page.goto(`${API}/app/account`);
  await page.getByRole("heading", { level: 1, name: "Your account" }).waitFor();
  await page.getByText(address).waitFor();

  // A common password is refused on the page, before anything is sent; a good one is set.
  await page.getByLabel("New password").fill("qwertyuiop");
  await page.getByRole("button", { name: "Set password" }).click();
  await eventually(() => page.getByRole("alert").first().textContent(), (t) => t.includes("most common"), "refusal");
  const password = "harbour tide lantern breakfast";
  await page.getByLabel("New password").fill(password);
  await page.getByRole("button", { name: "Set password" }).click();
  await eventually(() => page.getByRole("status").first().textContent(), (t) => t.includes("password is set"), "set");
  await page.getByRole("cell", { name: /this one/ }).waitFor();
  await assertNoViolations(page, "account page");

  // At phone width nothing is wider than the screen.
  await assertFitsAPhone(page, "account");

  // Sign out: the session ends, and the dashboard sends the person to sign in.
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "Sign in to Inlet" }).waitFor();
  await page.goto(`${API}/app/`);
  await page.getByRole("heading", { level: 1, name: "Sign in to Inlet" }).waitFor();
  await assertNoViolations(page, "sign-in page");

  // A wrong password is refused; the right one signs in.
  const byPassword = page.getByRole("region", { name: "With your password" });
  await byPassword.getByLabel("Email address").fill(address);
  await byPassword.getByLabel("Password").fill("not the password at all");
  await byPassword.getByRole("button", { name: "Sign in" }).click();
  await eventually(() => byPassword.getByRole("alert").textContent(), (t) => t.includes("not right"), "wrong password");
  await byPassword.getByLabel("Password").fill(password);
  await byPassword.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { level: 1, name: "Inbox" }).waitFor();
  await page.getByRole("link", { name: "Forms" }).click();
  await page.getByRole("heading", { level: 2, name: "Harbour Plumbing" }).waitFor();
  await page.screenshot({ path: "target/dashboard-forms.png", fullPage: true });
  assert.deepEqual(page.errors, []);
});

test("a used or forged link says so and offers a new one", async () => {
  const page = await newPage(browser);
  await page.goto(`${API}/app/link#${"0".repeat(52)}`);
  await page.getByRole("button", { name: "Continue" }).click();
  await eventually(() => page.getByRole("alert").first().textContent(), (t) => t.includes("expired or was already used"), "refusal");
  await page.getByRole("link", { name: "Ask for a new link" }).waitFor();
  await assertNoViolations(page, "refused link");
  assert.deepEqual(page.errors, []);
});
