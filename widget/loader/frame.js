// Inlet iframe resizer (built, minified, into www/frame.js). Optional: add <script src="https://HOST/frame.js" async></script> once to a page
// that embeds Inlet iframes, and each grows or shrinks to fit its form instead of scrolling.
(() => {
  const origin = new URL(document.currentScript.src).origin;
  window.addEventListener("message", (event) => {
    const data = event.data;
    if (event.origin !== origin || !data || data.type !== "inlet:resize" || !(data.height > 0)) return;
    for (const frame of document.querySelectorAll("iframe")) {
      if (frame.contentWindow === event.source) frame.style.height = Math.ceil(data.height) + "px";
    }
  });
})();
