using CharacterHub.Modules.Interaction.Chats;
using Dapper;
using Mediator;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CharacterHub.Tests.Integration.Chats;

/// <summary>Deleting a chat while a write inside it (a reply's final save, a swipe browse, an edit) holds one of its
/// messages must wait for that write, not deadlock with it.</summary>
public sealed class ChatDeleteLockTests : IntegrationTest
{
    [Test]
    public async Task Deleting_a_chat_waits_for_a_write_that_holds_one_of_its_messages()
    {
        using var client = await SignedInClient("lockdel");
        var characterId = await ChatKit.CreateCharacterAsync(client, "lockdel", new { name = "Lena", first_message = "Hi." });
        var chatId = await ChatKit.StartChatAsync(client, characterId);
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        await db.OpenAsync();
        var userId = await db.ExecuteScalarAsync<long>("select id from accounts.users where username = 'lockdel'");
        var messageId = await db.ExecuteScalarAsync<long>("select min(id) from interaction.messages where chat_id = @chatId", new { chatId });

        // A write inside the chat: it holds the message, and will next touch the chat's own row (as a browse's
        // history trigger or a final save does).
        await using var tx = await db.BeginTransactionAsync();
        await db.ExecuteAsync("select 1 from interaction.messages where id = @messageId for no key update", new { messageId }, tx);

        using var scope = App.Services.CreateScope();
        var deleting = scope.ServiceProvider.GetRequiredService<IMediator>().Send(new DeleteChat(chatId, userId)).AsTask();
        await using (var watch = new NpgsqlConnection(Database.ConnectionString))
        {
            for (var i = 0; i < 100 && await watch.ExecuteScalarAsync<int>(
                     "select count(*) from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()") == 0; i++)
                await Task.Delay(50);
        }
        Assert.That(deleting.IsCompleted, Is.False, "the delete waits for the write");

        // Without the delete's lock order this would deadlock: the delete would hold the chat row and wait for the message.
        var touched = await db.ExecuteAsync("update interaction.chats set history_rev = history_rev + 1 where id = @chatId", new { chatId }, tx);
        await tx.CommitAsync();
        Assert.That(touched, Is.EqualTo(1));
        Assert.That(await deleting.WaitAsync(TimeSpan.FromSeconds(30)), Is.True, "then the delete goes through");
        Assert.That(await db.ExecuteScalarAsync<long>("select count(*) from interaction.chats where id = @chatId", new { chatId }), Is.Zero);
    }
}
