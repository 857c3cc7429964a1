// Drag and drop for the import page. The plain file input works without this script; dropping files just fills
// that input, so the form posts exactly what a manual selection would.
(() => {
  const zone = document.querySelector("[data-dropzone]");
  const input = zone && zone.querySelector("input[type=file]");
  const hint = zone && zone.querySelector("[data-dropzone-hint]");
  if (!zone || !input) return;
  const describe = () => {
    if (hint) hint.textContent = input.files.length ? `${input.files.length} file(s) chosen.` : "Or drop files here.";
  };
  ["dragenter", "dragover"].forEach((type) => zone.addEventListener(type, (event) => {
    event.preventDefault();
    zone.classList.add("dropzone-active");
  }));
  ["dragleave", "drop"].forEach((type) => zone.addEventListener(type, () => zone.classList.remove("dropzone-active")));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    if (!event.dataTransfer || event.dataTransfer.files.length === 0) return;
    const files = new DataTransfer();
    for (const file of event.dataTransfer.files) files.items.add(file);
    input.files = files.files;
    describe();
  });
  input.addEventListener("change", describe);
})();
