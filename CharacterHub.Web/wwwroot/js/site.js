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

  // Repeatable form items (traits, greetings, lorebook entries): add from a <template>, remove the closest item.
  // Items carry their own ".index" key, so removing one never renumbers the others.
  let nextIndex = Date.now() % 1000000;
  document.addEventListener("click", function (event) {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const add = target.closest("[data-add-from]");
    if (add) {
      const template = document.querySelector(add.getAttribute("data-add-from"));
      const list = document.querySelector(add.getAttribute("data-add-to"));
      if (template && list) {
        const key = "n" + (nextIndex++);
        const html = template.innerHTML.split("__i__").join(key);
        list.insertAdjacentHTML("beforeend", html);
        const added = list.lastElementChild;
        const first = added && added.querySelector("input:not([type=hidden]), textarea, select");
        if (first) first.focus();
      }
      return;
    }
    const remove = target.closest("[data-remove]");
    if (remove) {
      const item = remove.closest(remove.getAttribute("data-remove"));
      if (item) item.remove();
      return;
    }
    const speak = target.closest("[data-speak-text], [data-speak-from]");
    if (speak) speakPreview(speak);
  });

  // Sliders show their value next to them.
  document.addEventListener("input", function (event) {
    const input = event.target;
    if (input instanceof HTMLInputElement && input.dataset.output) {
      const output = document.getElementById(input.dataset.output);
      if (output) output.textContent = input.value;
    }
  });

  // "Select all" checkboxes.
  document.addEventListener("change", function (event) {
    const box = event.target;
    if (box instanceof HTMLInputElement && box.dataset.checkAll) {
      document.querySelectorAll(box.dataset.checkAll).forEach(function (other) { other.checked = box.checked; });
    }
  });

  // Voice preview: the browser's own speech synthesis, or audio from the site's TTS endpoint.
  function speakPreview(button) {
    let text = button.getAttribute("data-speak-text");
    const from = button.getAttribute("data-speak-from");
    const form = button.closest("form");
    if (from) {
      const field = document.querySelector(from);
      text = field ? field.value : "";
    }
    text = (text || "Hello! This is how I sound.").replace(/\{\{(char|user)\}\}/gi, "").slice(0, 600);
    const tts = button.getAttribute("data-speak-tts");
    if (tts) {
      const audio = new Audio(tts);
      audio.play().catch(function () { button.textContent = "Voice preview failed"; });
      return;
    }
    if (!("speechSynthesis" in window)) {
      button.textContent = "This browser cannot speak";
      return;
    }
    const value = function (attr, field) {
      if (form && field) {
        const input = form.querySelector("[name='" + field + "']");
        if (input) return input.value;
      }
      return button.getAttribute(attr) || "";
    };
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = value("data-speak-lang", "Form.VoiceLanguage") || "en-US";
    utterance.pitch = parseFloat(value("data-speak-pitch", "Form.VoicePitch")) || 1;
    utterance.rate = parseFloat(value("data-speak-rate", "Form.VoiceRate")) || 1;
    const wanted = value("data-speak-voice", "Form.VoiceName");
    const voice = speechSynthesis.getVoices().find(function (v) { return v.name === wanted; });
    if (voice) utterance.voice = voice;
    speechSynthesis.cancel();
    speechSynthesis.speak(utterance);
  }

  // Offer the browser's voices as suggestions for the voice name.
  function fillVoices() {
    const list = document.getElementById("browser-voices");
    if (!list || !("speechSynthesis" in window)) return;
    list.replaceChildren();
    speechSynthesis.getVoices().forEach(function (v) {
      const option = document.createElement("option");
      option.value = v.name;
      option.label = v.lang;
      list.appendChild(option);
    });
  }
  if ("speechSynthesis" in window) {
    speechSynthesis.addEventListener("voiceschanged", fillVoices);
    document.addEventListener("DOMContentLoaded", fillVoices);
  }

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
  // A form the server refused before any page code ran (a NUL character in it: NulInFormsMiddleware) answers an
  // htmx request 400 with a plain sentence; htmx swaps nothing on a 400, so the sentence is shown above the form
  // and what the user typed stays where it is.
  document.addEventListener("htmx:responseError", function (event) {
    const xhr = event.detail.xhr;
    if (!xhr || xhr.status !== 400 || !xhr.getResponseHeader("X-Input-Refused")) return;
    const elt = event.detail.elt;
    const anchor = (elt && elt.closest && elt.closest("form")) || elt;
    if (!anchor || !anchor.parentNode) return;
    let note = anchor.previousElementSibling;
    if (!note || !note.hasAttribute("data-input-refused")) {
      note = document.createElement("p");
      note.className = "field-error";
      note.setAttribute("role", "alert");
      note.setAttribute("data-input-refused", "");
      anchor.parentNode.insertBefore(note, anchor);
    }
    note.textContent = xhr.responseText;
  });
})();
