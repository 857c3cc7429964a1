// Group chats: when a reply's stream ends, the next speaker's pending reply (created by the server as that stream
// ended) is fetched and appended, and it streams in turn. Only on a chat page whose members panel says it is a group.
(function () {
    'use strict';

    function panel() { return document.querySelector('#group-panel[data-group-chat="true"]'); }

    function newestId() {
        var max = 0;
        document.querySelectorAll('#messages article.chat-message[data-message-id]').forEach(function (a) {
            var id = parseInt(a.getAttribute('data-message-id'), 10);
            if (id > max) max = id;
        });
        return max;
    }

    document.addEventListener('htmx:sseClose', function (e) {
        if (!e.detail || e.detail.type !== 'message') return;
        var p = panel();
        if (!p) return;
        var chatId = p.getAttribute('data-chat-id');
        htmx.ajax('GET', '/chats/' + chatId + '/members?handler=After&after=' + newestId(), { target: '#messages', swap: 'beforeend' });
    });

    // "Let X speak" appends a reply: the composer area's empty-chat note goes, like after a send.
    document.addEventListener('htmx:afterSwap', function (e) {
        if (e.detail.target && e.detail.target.id === 'messages') {
            var empty = document.querySelector('.chat-empty');
            if (empty) empty.remove();
        }
    });
})();
