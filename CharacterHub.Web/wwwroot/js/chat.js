// Chat page behaviour that htmx attributes cannot express (CSP forbids inline script, so it lives here).
(function () {
    'use strict';

    // Enter sends, Shift+Enter inserts a line break (IME composition is left alone).
    document.addEventListener('keydown', function (e) {
        var box = e.target;
        if (!(box instanceof HTMLTextAreaElement) || !box.hasAttribute('data-enter-sends')) return;
        if (e.key !== 'Enter' || e.shiftKey || e.isComposing) return;
        e.preventDefault();
        if (box.value.trim().length > 0 && box.form) box.form.requestSubmit();
    });

    // After a send, the composer empties; after a failed send, it keeps the text (the error says why).
    document.addEventListener('htmx:afterRequest', function (e) {
        var form = e.detail.elt;
        if (!(form instanceof HTMLFormElement) || form.id !== 'composer') return;
        var error = document.getElementById('composer-error');
        var failed = !e.detail.successful || (error && error.textContent.trim().length > 0 && e.detail.target === error);
        if (!failed) {
            form.reset();
            if (error) error.textContent = '';
            var empty = document.querySelector('.chat-empty');
            if (empty) empty.remove();
        }
    });

    // When a reply's stream says "done", the saved message (Markdown, status, swipes, actions) replaces the live one.
    document.addEventListener('htmx:sseClose', function (e) {
        if (!e.detail || e.detail.type !== 'message') return;
        var stream = e.target.closest('[data-final-url]');
        var article = stream && stream.closest('article.chat-message');
        if (!article) return;
        htmx.ajax('GET', stream.getAttribute('data-final-url'), { target: article, swap: 'outerHTML' });
    });

    // A refused or broken stream (the per-user generation limit, a restart) is retried by the SSE extension with a
    // growing delay; say so instead of leaving a silent caret. The reply stays pending, so the retry generates it.
    document.addEventListener('htmx:sseError', function (e) {
        var stream = e.target.closest && e.target.closest('[data-final-url]');
        var note = stream && stream.querySelector('.chat-note');
        if (note) note.textContent = 'Waiting for the server (busy, or too many replies this minute); retrying…';
    });

    // Keep the newest message in view while it streams, unless the reader scrolled up to read.
    function nearBottom() {
        return window.innerHeight + window.scrollY >= document.body.scrollHeight - 160;
    }
    document.addEventListener('htmx:sseBeforeMessage', function () { stick = nearBottom(); });
    var stick = true;
    document.addEventListener('htmx:sseMessage', function () { if (stick) window.scrollTo(0, document.body.scrollHeight); });
    document.addEventListener('htmx:afterSwap', function (e) {
        if (e.detail.target && e.detail.target.id === 'messages') window.scrollTo(0, document.body.scrollHeight);
    });

    // "Load older" fires by itself when it scrolls into view.
    var observer = 'IntersectionObserver' in window ? new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
            if (entry.isIntersecting && !entry.target.hasAttribute('data-loading')) {
                entry.target.setAttribute('data-loading', '');
                entry.target.click();
            }
        });
    }) : null;
    function watchOlder(root) {
        if (!observer) return;
        root.querySelectorAll('[data-load-older]').forEach(function (b) { observer.observe(b); });
    }
    document.addEventListener('DOMContentLoaded', function () {
        if (document.getElementById('messages')) window.scrollTo(0, document.body.scrollHeight);
        // Observed only after the first scroll to the bottom, so opening a chat does not load every page at once.
        setTimeout(function () { watchOlder(document); }, 500);
    });
    document.addEventListener('htmx:load', function (e) { if (e.target.querySelectorAll) setTimeout(function () { watchOlder(e.target); }, 500); });
    // The options drawer and the "…" menus are plain <details> (they work without script); with script they also
    // close with the ✕ button, with Escape, and (the "…" menus) when something else is clicked.
    function closeDetails(details, focusSummary) {
        if (!details || !details.open) return;
        details.open = false;
        var summary = details.querySelector('summary');
        if (focusSummary && summary) summary.focus();
    }
    document.addEventListener('DOMContentLoaded', function () {
        document.querySelectorAll('[data-close-details]').forEach(function (b) { b.hidden = false; });
    });
    document.addEventListener('click', function (e) {
        var close = e.target.closest && e.target.closest('[data-close-details]');
        if (close) { closeDetails(close.closest('details'), true); return; }
        // A choice made in a "…" menu closes it too (htmx has already taken the click by now).
        var chosen = e.target.closest && e.target.closest('.chat-more-items a, .chat-more-items button');
        document.querySelectorAll('details.chat-more[open]').forEach(function (menu) {
            if (!menu.contains(e.target) || (chosen && menu.contains(chosen))) closeDetails(menu, false);
        });
    });
    document.addEventListener('keydown', function (e) {
        if (e.key !== 'Escape') return;
        var menu = e.target.closest && e.target.closest('details.chat-more[open]');
        if (menu) { closeDetails(menu, true); return; }
        var options = document.querySelector('details.chat-settings[open]');
        if (options && !(e.target instanceof HTMLTextAreaElement && e.target.id === 'composer-text')) closeDetails(options, true);
    });
})();
