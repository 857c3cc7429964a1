// Site-wide behaviour. No inline scripts anywhere (the Content-Security-Policy forbids them), so everything
// interactive that is not htmx lives here, attached by data attributes.
(function () {
  "use strict";
  const themes = ["auto", "light", "dark"];

  function setTheme(theme) {
    document.documentElement.dataset.theme = theme;
    document.cookie = "theme=" + theme + "; path=/; max-age=31536000; samesite=lax";
    const button = document.getElementById("theme-toggle");
    if (button) {
      button.setAttribute("aria-label", "Theme: " + theme + ". Change theme");
      button.title = "Change theme (" + theme + ")";
    }
  }

  document.addEventListener("click", function (event) {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    if (target.closest("#theme-toggle")) {
      const current = document.documentElement.dataset.theme || "auto";
      setTheme(themes[(themes.indexOf(current) + 1) % themes.length]);
      return;
    }
    const copy = target.closest("[data-copy]");
    if (copy) {
      const source = document.querySelector(copy.getAttribute("data-copy"));
      if (source && navigator.clipboard) {
        navigator.clipboard.writeText(source.textContent.trim()).then(function () {
          copy.textContent = "Copied";
        });
      }
    }
  });

  // Close the account menu when clicking elsewhere or pressing Escape.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      document.querySelectorAll("details.menu[open]").forEach(function (menu) {
        menu.removeAttribute("open");
        const summary = menu.querySelector("summary");
        if (summary) summary.focus();
      });
    }
  });
})();
