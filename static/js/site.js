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
// Back/forward: htmx puts back the page it kept for that URL, but a kept page holds each
// field as first rendered, not as typed. Fill the search form from the URL instead.
document.addEventListener("htmx:historyRestore", () => {
  const form = document.querySelector("form.search");
  if (!form) return;
  const params = new URLSearchParams(window.location.search);
  for (const field of form.elements) {
    if (!field.name) continue;
    if (field.tagName === "SELECT") {
      const chosen = params.getAll(field.name);
      for (const option of field.options) option.selected = chosen.includes(option.value);
      if (!field.multiple && !chosen.length && field.options.length) field.options[0].selected = true;
    } else if (field.type !== "submit" && field.type !== "button") {
      field.value = params.get(field.name) || "";
    }
  }
});
