// "/" anywhere (outside a text field) puts the cursor in the top bar's search box.
document.addEventListener("keydown", (event) => {
  const typing = event.target.closest("input, textarea, select, [contenteditable]");
  if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
    const search = document.getElementById("topbar-q");
    if (search) {
      event.preventDefault();
      search.focus();
    }
  }
});
