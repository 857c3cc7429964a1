// Prompt tools on the chat page: the per-reply prompt inspector toggle and "Impersonate" (the model drafts your next
// line into the composer). A file of its own because the CSP forbids inline script.
(function () {
    'use strict';

    // "Prompt" opens the inspector under its reply; pressing it again closes it instead of fetching a second copy.
    document.addEventListener('htmx:beforeRequest', function (e) {
        var elt = e.detail && e.detail.elt;
        var id = elt && elt.getAttribute && elt.getAttribute('data-prompt-toggle');
        if (!id) return;
        var open = document.getElementById(id);
        if (open) {
            open.remove();
            e.preventDefault();
        }
    });

    // Server-sent events read from a POST response (EventSource can only GET, and a draft spends the model, so it is
    // a POST with the antiforgery token). Calls onEvent(name, data) for each complete event.
    function readEvents(response, onEvent) {
        var reader = response.body.getReader();
        var decoder = new TextDecoder();
        var buffer = '';
        function flush() {
            var end;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
                var block = buffer.slice(0, end);
                buffer = buffer.slice(end + 2);
                var name = 'message', data = [];
                block.split('\n').forEach(function (line) {
                    if (line.indexOf('event: ') === 0) name = line.slice(7);
                    else if (line.indexOf('data: ') === 0) data.push(line.slice(6));
                    else if (line === 'data:') data.push('');
                });
                onEvent(name, data.join('\n'));
            }
        }
        function pump() {
            return reader.read().then(function (chunk) {
                if (chunk.done) { buffer += decoder.decode(); flush(); return; }
                buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n/g, '\n');
                flush();
                return pump();
            });
        }
        return pump();
    }

    function setUp() {
        var button = document.getElementById('impersonate');
        var composer = document.getElementById('composer');
        var box = document.getElementById('composer-text');
        var status = document.getElementById('impersonate-status');
        if (!button || !composer || !box) return;
        button.hidden = false;
        var running = null;

        function finish(words) {
            running = null;
            button.textContent = 'Impersonate';
            box.removeAttribute('aria-busy');
            if (status) status.textContent = words || '';
        }

        button.addEventListener('click', function () {
            if (running) { running.abort(); return; }
            var tokenInput = composer.querySelector('input[name="__RequestVerificationToken"]');
            var body = new URLSearchParams();
            if (tokenInput) body.set('__RequestVerificationToken', tokenInput.value);
            running = new AbortController();
            button.textContent = 'Stop drafting';
            box.setAttribute('aria-busy', 'true');
            if (status) status.textContent = 'Drafting your next line…';
            box.value = '';
            var problem = '';
            fetch(button.getAttribute('data-impersonate-url'), {
                method: 'POST', body: body, signal: running.signal, credentials: 'same-origin',
                headers: { 'Accept': 'text/event-stream' }
            }).then(function (response) {
                if (!response.ok) {
                    return response.text().then(function (text) {
                        finish(response.status === 404 ? 'This chat no longer exists.' : (text || 'The draft could not be started.'));
                    });
                }
                return readEvents(response, function (name, data) {
                    if (name === 'token') {
                        box.value += JSON.parse(data);
                        box.scrollTop = box.scrollHeight;
                    } else if (name === 'problem') {
                        problem = data;
                    } else if (name === 'done') {
                        finish(problem || (box.value.trim() ? 'Draft ready: edit it, then send.' : 'The model returned an empty draft.'));
                    }
                }).then(function () { if (running) finish(problem); });
            }).catch(function (err) {
                finish(err && err.name === 'AbortError' ? 'Drafting stopped; what was written so far is kept.' : 'The connection was lost while drafting.');
            }).finally(function () { box.focus(); });
        });
    }

    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', setUp);
    else setUp();
})();
