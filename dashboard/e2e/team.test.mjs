// A business's people and keys in Chromium: the owner invites a member and a viewer from the team
// page; each opens the emailed invitation and sees the same lead; the member works it, the viewer
// finds no control to change it; the owner changes a role, makes an API key whose secret is shown
// once and reads the leads with it, revokes it, and adds a second business to switch to. axe-core
// on every page, and the team page at phone width.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { API, axeViolations, eventually, launch, newPage } from "../../widget/e2e/support.mjs";
import { assertFitsAPhone, follow, linkTo, sendOnEmbed, signUp } from "./support.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function assertNoViolations(page, what) {
  const { violations } = await axeViolations(page);
  assert.deepEqual(violations, [], what);
}

const status = (page) => page.getByRole("status").first().textContent();

test("an invited member works the lead, a viewer only reads it, and a key reads it by the API", async () => {
  const stamp = Date.now();
  const ownerAddress = `owner.${stamp}@team-e2e.example`;
  const memberAddress = `member.${stamp}@team-e2e.example`;
  const viewerAddress = `viewer.${stamp}@team-e2e.example`;
  const owner = await newPage(browser);
  await signUp(owner, "Harbour Plumbing", ownerAddress);
  // The owner has each lead emailed to the business (to the local mailbox), with the session.
  const formId = await owner.evaluate(async (to) => {
    const account = await (await fetch("/v1/account")).json();
    const tenant = account.businesses[0].tenant_id;
    const forms = await (await fetch(`/v1/tenants/${tenant}/forms`)).json();
    const id = forms.forms[0].id;
    const added = await fetch(`/v1/tenants/${tenant}/forms/${id}/destinations`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind: "email", to: [to], name: "Front desk" }),
    });
    if (added.status !== 201) throw new Error(`destination: ${added.status}`);
    // And by SMS, which this installation has no provider for: that delivery fails, to send again.
    const sms = await fetch(`/v1/tenants/${tenant}/forms/${id}/destinations`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind: "sms", to: "+14155552671", name: "Owner's phone" }),
    });
    if (sms.status !== 201) throw new Error(`sms destination: ${sms.status}`);
    return id;
  }, ownerAddress);
  // A visitor's lead, through the business's embed page.
  const visitor = await sendOnEmbed(browser, formId, "Harbour Plumbing", {
    name: "Grace Hopper", email: "grace.team@example.com",
  });

  // The owner invites two people from the team page.
  await owner.getByRole("link", { name: "Team" }).click();
  await owner.getByRole("heading", { level: 1, name: "Team" }).waitFor();
  await owner.getByText(ownerAddress).waitFor();
  for (const [address, role] of [[memberAddress, "member"], [viewerAddress, "viewer"]]) {
    await owner.getByLabel("Email address").fill(address);
    await owner.getByLabel("Role", { exact: true }).selectOption(role);
    await owner.getByRole("button", { name: "Send invitation" }).click();
    await eventually(() => status(owner), (t) => t === "The invitation is on its way.", `invited ${address}`);
  }
  await assertNoViolations(owner, "team page");

  // The member opens the invitation and works the same lead.
  const member = await newPage(browser);
  await follow(member, await linkTo(memberAddress));
  await member.getByRole("link", { name: "Grace Hopper" }).click();
  await member.getByRole("heading", { level: 2, name: "Grace Hopper" }).waitFor();
  const leadPage = member.url();
  // Its delivery, with the attempt that made it.
  await member.getByText("Front desk").waitFor();
  await eventually(() => member.locator(".deliveries > li", { hasText: "Front desk" }).textContent(), (t) => t.includes("Attempt 1") && t.includes("delivered"), "the delivery's attempt");
  // A member may not send a delivery again; that is an admin's.
  await member.getByText("SMS is not configured", { exact: false }).waitFor();
  assert.equal(await member.getByRole("button", { name: "Send again to Owner's phone" }).count(), 0);
  await member.getByLabel("Status").selectOption("qualified");
  await member.getByRole("button", { name: "Save status" }).click();
  await eventually(() => status(member), (t) => t === "Status saved.", "the member saved the status");

  // The viewer sees it, with the member's change, and no control to change anything.
  const viewer = await newPage(browser);
  await follow(viewer, await linkTo(viewerAddress));
  await viewer.getByRole("link", { name: "Grace Hopper" }).click();
  await viewer.getByRole("heading", { level: 2, name: "Grace Hopper" }).waitFor();
  await viewer.getByText("Your role in this business reads leads; it does not change them.").waitFor();
  await viewer.getByText(`Status: New → Qualified · ${memberAddress}`, { exact: false }).waitFor();
  for (const name of ["Save status", "Save tags", "Assign to me", "Add note"]) {
    assert.equal(await viewer.getByRole("button", { name }).count(), 0, `a viewer sees ${name}`);
  }
  await assertNoViolations(viewer, "a viewer's lead page");
  // The API refuses the viewer too, whatever the page shows.
  const refused = await viewer.evaluate(async () => {
    const path = location.pathname.replace("/app/leads/", "");
    const account = await (await fetch("/v1/account")).json();
    const answer = await fetch(`/v1/tenants/${account.businesses[0].tenant_id}/leads/${path}`, {
      method: "PATCH", headers: { "content-type": "application/json" }, body: '{"status": "won"}',
    });
    return (await answer.json()).code;
  });
  assert.equal(refused, "not_permitted");
  await viewer.getByRole("link", { name: "Team" }).click();
  await viewer.getByText(memberAddress).waitFor();
  assert.equal(await viewer.getByRole("button", { name: "Send invitation" }).count(), 0);

  // The owner sends the failed delivery again from the lead's page: a second attempt is logged.
  await owner.goto(leadPage);
  await owner.getByRole("button", { name: "Send again to Owner's phone" }).click();
  await eventually(() => status(owner), (t) => t.startsWith("Sent again"), "replayed");
  await eventually(async () => { await owner.reload(); return owner.locator(".deliveries > li", { hasText: "Owner's phone" }).textContent(); },
    (t) => t.includes("Attempt 2"), "the second attempt", 20_000);
  await owner.getByRole("link", { name: "Team" }).click();

  // The owner makes the viewer a member.
  await owner.getByRole("heading", { level: 1, name: "Team" }).waitFor();
  await owner.getByLabel(`Role of ${viewerAddress}`).selectOption("member");
  await owner.locator("li", { hasText: viewerAddress }).getByRole("button", { name: "Save role" }).click();
  await eventually(() => status(owner), (t) => t === `${viewerAddress} is now member.`, "the role changed");
  await assertFitsAPhone(owner, "team");

  // An API key: shown once, reads the leads, and stops when revoked.
  await owner.getByRole("link", { name: "API keys" }).click();
  await owner.getByRole("heading", { level: 1, name: "API keys" }).waitFor();
  await owner.getByLabel("Name").fill("CRM sync");
  await owner.getByLabel("What it may do").selectOption("read");
  await owner.getByRole("button", { name: "Create key" }).click();
  const secret = (await owner.locator(".new-secret code").textContent()).trim();
  assert.match(secret, /^inlet_[0-9a-z]{52}$/);
  await owner.getByText("never used").waitFor();
  await assertNoViolations(owner, "API keys page");
  await owner.screenshot({ path: "target/dashboard-api-keys.png", fullPage: true });
  const tenant = await owner.evaluate(async () => (await (await fetch("/v1/account")).json()).businesses[0].tenant_id);
  const readWith = (key) => fetch(`${API}/v1/tenants/${tenant}/leads`, { headers: { authorization: `Bearer ${key}` } });
  const read = await readWith(secret);
  assert.equal(read.status, 200);
  assert.equal((await read.json()).items[0].name, "Grace Hopper");
  await owner.reload();
  await owner.getByText("last used", { exact: false }).waitFor();
  assert.equal(await owner.getByText(secret).count(), 0, "the secret is shown once");
  await owner.getByRole("button", { name: "Revoke CRM sync" }).click();
  await eventually(() => status(owner), (t) => t.includes("no longer works"), "revoked");
  assert.equal((await readWith(secret)).status, 401);

  // A second business, and the switch between the two.
  await owner.getByRole("link", { name: "Account" }).click();
  await owner.getByLabel("Business name").fill("Harbour Heating");
  await owner.getByRole("button", { name: "Add business" }).click();
  const adding = owner.locator("section", { hasText: "Add a business" });
  await eventually(() => adding.getByRole("status").textContent(), (t) => t.includes("Harbour Heating is ready"), "added");
  await owner.getByRole("link", { name: "Inbox" }).click();
  const business = owner.getByLabel("Business", { exact: true });
  await business.selectOption({ label: "Harbour Plumbing" });
  await owner.getByRole("link", { name: "Grace Hopper" }).waitFor();
  assert.ok(owner.url().includes("business=t_"), owner.url());
  await business.selectOption({ label: "Harbour Heating" });
  await eventually(() => status(owner), (t) => t.includes("No leads match"), "the new business's empty inbox");
  // The pages keep the business chosen: its forms page shows its own form.
  await owner.getByRole("link", { name: "Forms" }).click();
  await owner.getByRole("heading", { level: 2, name: "Harbour Heating" }).waitFor();
  await assertNoViolations(owner, "inbox with the business switch");
  for (const page of [owner, member, viewer, visitor]) assert.deepEqual(page.errors, []);
});
