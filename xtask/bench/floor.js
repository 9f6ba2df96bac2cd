// The floor that `cargo xtask bench-widget` measures Inlet's widget against: the same lead form written
// by hand in plain JavaScript, as directly as it can be. Same embed (a script tag with data-form), same
// shadow root and stylesheet, same API call for the definition, the same checks before sending (required
// fields, an email's shape), the same POST. It is what a site would get with no framework and no
// WebAssembly; nothing ships it.
(() => {
  const script = document.currentScript;
  const base = new URL(script.src).origin;
  const formId = script.dataset.form;
  const host = document.createElement("inlet-form");
  host.className = "inlet-form";
  const root = host.attachShadow({ mode: "open" });
  const sheet = Object.assign(document.createElement("link"), { rel: "stylesheet", href: base + "/widget.css" });
  const box = Object.assign(document.createElement("div"), { className: "inlet" });
  root.append(sheet, box);
  script.replaceWith(host);
  const el = (tag, props, ...children) => {
    const node = Object.assign(document.createElement(tag), props);
    node.append(...children);
    return node;
  };
  const types = { email: "email", phone: "tel", checkbox: "checkbox", consent: "checkbox" };

  fetch(base + "/v1/forms/" + encodeURIComponent(formId)).then(async (response) => {
    const token = response.headers.get("inlet-form-token");
    const form = await response.json();
    const inputs = [];
    const controls = form.fields.filter((f) => f.kind !== "hidden").map((field) => {
      const id = "inlet-" + field.name;
      const check = field.kind === "checkbox" || field.kind === "consent";
      const tag = field.kind === "multi_line" ? "textarea" : field.kind === "select" ? "select" : "input";
      const input = el(tag, { id, name: id, required: !!field.required });
      if (types[field.kind]) input.type = types[field.kind];
      for (const option of field.options || []) input.append(el("option", { value: option }, option));
      const error = el("p", { className: "inlet-error", id: id + "-error" });
      input.setAttribute("aria-describedby", error.id);
      inputs.push({ field, input, error, check });
      const label = el("label", { htmlFor: id }, field.kind === "consent" ? field.text : field.label);
      if (field.required) label.append(el("span", { className: "inlet-required", ariaHidden: "true" }, " *"));
      const parts = check ? [input, label] : [label, input];
      if (field.help) parts.push(el("p", { className: "inlet-help" }, field.help));
      return el("div", { className: check ? "inlet-field inlet-check" : "inlet-field" }, ...parts, error);
    });
    const status = el("p", { className: "inlet-status", role: "status" });
    const submit = el("button", { type: "submit", className: "inlet-submit" }, form.submit_label || "Send");
    const formEl = el("form", { noValidate: true }, ...controls, submit);
    formEl.addEventListener("submit", async (event) => {
      event.preventDefault();
      const fields = {};
      let first = null;
      for (const { field, input, error, check } of inputs) {
        const value = check ? input.checked : input.value.trim();
        const problem = field.required && !value ? "This field is required."
          : field.kind === "email" && value && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value) ? "Enter an email address."
          : "";
        error.textContent = problem;
        input.setAttribute("aria-invalid", problem ? "true" : "false");
        if (problem && !first) first = input;
        if (value) fields[field.name] = value;
      }
      if (first) return first.focus();
      submit.disabled = true;
      const sent = await fetch(base + "/v1/forms/" + encodeURIComponent(formId) + "/leads", {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": crypto.randomUUID() },
        body: JSON.stringify({ fields, token, context: { page_url: location.href } }),
      }).then((r) => r.ok, () => false);
      submit.disabled = false;
      formEl.hidden = sent;
      status.textContent = sent ? form.success_message || "Thank you." : "Sorry, that did not go through. Please try again.";
    });
    box.append(el("div", { className: "inlet-card" }, el("h2", { className: "inlet-title" }, form.title), formEl, status));
  });
})();
