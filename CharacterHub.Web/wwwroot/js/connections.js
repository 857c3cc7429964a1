// /settings/connections: a model listed by "Test connection" goes into the model field when clicked.
// Delegated, so it works for result fragments htmx swaps in later.
document.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("[data-pick-model]") : null;
    if (!button) return;
    const field = document.getElementById("connection-model");
    if (!field) return;
    field.value = button.getAttribute("data-pick-model") ?? "";
    field.dispatchEvent(new Event("change", { bubbles: true }));
    field.focus();
});
