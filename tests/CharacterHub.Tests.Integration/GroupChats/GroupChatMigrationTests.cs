using System.Reflection;
using Dapper;
using Npgsql;

namespace CharacterHub.Tests.Integration.GroupChats;

/// <summary>0005 reshapes existing chats: a scratch database at the schema before it, old-shaped rows, then 0005.</summary>
public sealed class GroupChatMigrationTests
{
    private static string Script(Assembly web, string name)
    {
        using var stream = web.GetManifestResourceStream(name)!;
        return new StreamReader(stream).ReadToEnd();
    }

    [Test]
    public async Task Migration0005_MakesEveryChatsCharacterItsMember_AndNamesTheSpeakerOfEveryAssistantMessage()
    {
        var web = Assembly.Load("CharacterHub.Web");
        var scripts = web.GetManifestResourceNames()
            .Where(n => n.StartsWith("migrations/interaction/", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();
        var target = scripts.Single(n => n.EndsWith("/0005_group_chats.sql", StringComparison.Ordinal));

        var server = IntegrationFixture.Database.Server;
        var name = "mig_groups_" + Guid.NewGuid().ToString("N")[..8];
        var admin = new NpgsqlConnectionStringBuilder(server) { Database = "postgres", Pooling = false }.ConnectionString;
        await using (var c = new NpgsqlConnection(admin)) await c.ExecuteAsync($"create database {name}");
        try
        {
            await using var db = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Database = name, Pooling = false }.ConnectionString);
            await db.OpenAsync();
            foreach (var script in scripts.TakeWhile(s => s != target)) await db.ExecuteAsync(Script(web, script));

            var chat = await db.ExecuteScalarAsync<long>("insert into interaction.chats (user_id, character_id, title) values (7, 42, 'Old chat') returning id");
            foreach (var role in new[] { "assistant", "user", "assistant" })
            {
                var m = await db.ExecuteScalarAsync<long>(
                    "insert into interaction.messages (chat_id, role, content) values (@chat, @role, 'x') returning id", new { chat, role });
                var s = await db.ExecuteScalarAsync<long>(
                    "insert into interaction.message_swipes (message_id, content, status, kind) values (@m, 'x', 'complete', 'reply') returning id", new { m });
                await db.ExecuteAsync("update interaction.messages set chosen_swipe_id = @s where id = @m", new { s, m });
            }

            await db.ExecuteAsync(Script(web, target));

            var members = (await db.QueryAsync<(long ChatId, long CharacterId, int Position, bool Muted)>(
                "select chat_id, character_id, position, muted from interaction.chat_members")).ToList();
            Assert.That(members, Is.EqualTo(new[] { (chat, 42L, 0, false) }));
            var speakers = (await db.QueryAsync<(string Role, long? CharacterId)>(
                "select role, character_id from interaction.messages order by id")).ToList();
            Assert.That(speakers, Is.EqualTo(new (string, long?)[] { ("assistant", 42), ("user", null), ("assistant", 42) }));
            Assert.That(await db.ExecuteScalarAsync<string>("select reply_order from interaction.chats"), Is.EqualTo("natural"));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await using var c = new NpgsqlConnection(admin);
            await c.ExecuteAsync($"drop database if exists {name} with (force)");
        }
    }
}
