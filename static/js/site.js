// Behaviour that htmx attributes cannot express without inline script (our CSP forbids it).
document.addEventListener("DOMContentLoaded", () => {
  const markFailed = (event) => {
    const panel = event.detail && event.detail.elt;
    if (panel && panel.classList && panel.classList.contains("why--loading")) {
      panel.classList.replace("why--loading", "why--failed");
    }
  };
  document.body.addEventListener("htmx:responseError", markFailed);
  document.body.addEventListener("htmx:sendError", markFailed);
});
