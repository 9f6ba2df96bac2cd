// Inlet loader, bundled with the widget's wasm-bindgen glue into www/widget.js (a classic script). A
// site adds <script src="https://HOST/widget.js" data-form="FORM_ID" async></script>; this replaces that
// tag with the lead form, inside a shadow root so the host page's CSS cannot reach it. It is the only
// script the host page loads; the form itself is WebAssembly.
//
// Everything the form needs is asked for the moment this runs, side by side: the form's definition,
// the widget's wasm (compiled while it streams in), and its stylesheet. Nothing waits on something it
// does not need, so the form is one round trip after this script, not three.
import init, { mount } from "inlet-glue";

(() => {
  const script = document.currentScript;
  const formId = script && script.dataset.form;
  if (!formId) return;
  const base = new URL(script.src).origin;
  // The definition and the token the edge times the visitor by; `{}` if either cannot be had, which the
  // widget answers with its sentence for a form that could not be loaded, in the visitor's language.
  const definition = fetch(`${base}/v1/forms/${encodeURIComponent(formId)}`).then(
    async (answer) => (answer.ok ? { definition: await answer.text(), token: answer.headers.get("inlet-form-token") } : {}),
    () => ({}),
  );
  // One download and one instance of the widget for every form on the page. A second copy of this
  // script uses the first one's, so its own bundled glue stays unused.
  const widget = (window.__inletWidget ||= init({ module_or_path: fetch(`${base}/pkg/inlet_widget_bg.wasm`) }).then(() => mount));

  const frame = "frame" in script.dataset;
  const hidden = {};
  for (const [key, value] of Object.entries(script.dataset)) {
    if (key.startsWith("field") && key.length > 5) {
      hidden[key.slice(5).replace(/[A-Z]/g, (c) => "_" + c.toLowerCase()).replace(/^_/, "")] = value;
    }
  }

  // An element of the widget's own, so the page's `div { ... }` rules do not match it; the class is
  // what sites theme (`.inlet-form { --inlet-accent: ... }`).
  const host = document.createElement("inlet-form");
  host.className = "inlet-form";
  // Reserve room for the form so the page does not jump when it arrives (style properties, not a
  // style attribute, so a strict CSP allows them). Once the widget's stylesheet applies, its `:host`
  // rule resets the host's display and min-height whatever the page's rules say, and reserves
  // --inlet-reserved-height instead; `em` there is of the widget's font, not the page's. A
  // `data-height` (the height the form builder measured) is kept for good, so the page below never
  // moves; the default guess is dropped once the form is in.
  const exact = script.dataset.height;
  const reserved = exact || "24em";
  host.style.display = "block";
  host.style.minHeight = reserved;
  host.style.setProperty("--inlet-reserved-height", reserved);
  const root = host.attachShadow({ mode: "open" });
  const sheet = document.createElement("link");
  sheet.rel = "stylesheet";
  sheet.href = base + "/widget.css";
  // Under a CSP that allows styles by nonce, the page's nonce on our tag vouches for our stylesheet.
  if (script.nonce) sheet.nonce = script.nonce;
  const container = document.createElement("div");
  container.className = "inlet";
  container.setAttribute("aria-busy", "true");
  root.append(sheet, container);
  script.replaceWith(host);

  Promise.all([widget, definition])
    .then(([mount, form]) => {
      const locale = script.dataset.locale || document.documentElement.lang || "";
      mount(container, { api: base, frame, hidden, locale, ...form });
      if (!exact) {
        host.style.minHeight = "";
        host.style.removeProperty("--inlet-reserved-height");
      }
    })
    .catch(() => {
      container.textContent = "This form could not be loaded. Please try again later.";
    });

  if (frame && window.parent !== window) {
    // Tell the embedding page our height; www/frame.js on that page resizes the iframe.
    // The body's own height: the document's scroll height never drops below the frame's current
    // height, so it could grow the frame but never shrink it.
    const report = () =>
      window.parent.postMessage({ type: "inlet:resize", form: formId, height: document.body.getBoundingClientRect().height }, "*");
    new ResizeObserver(report).observe(document.body);
  }
})();
