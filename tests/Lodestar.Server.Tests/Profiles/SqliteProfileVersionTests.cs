using Lodestar.Core.Profiles;
using Lodestar.Server.Tests.Infrastructure;
using Lodestar.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Lodestar.Server.Tests.Profiles;

/// <summary>
/// The profile store stamps every save and removal with the next version, so the analytics copies of the profiles can
/// follow only what changed since they were made; files from before versions are migrated at open.
/// </summary>
public sealed class SqliteProfileVersionTests : IDisposable
{
    private readonly string _dir = LodestarFactory.NewDataDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ProfileDocument Profile(string personId, string plan) =>
        new("app", personId, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, "{\"attributes\": {\"plan\": \"" + plan + "\"}}");

    private static Dictionary<string, string?> Plans(ProfileDelta<(string PersonId, System.Text.Json.Nodes.JsonNode?[] Values)> delta) =>
        delta.Changed.ToDictionary(c => c.PersonId, c => c.Values[0]?.GetValue<string>());

    [Fact]
    public void ChangesSince_GivesTheSavedAndRemovedPersons_AndNullWhenRemovalsThatOldAreForgotten()
    {
        var database = new SqliteDatabase(Path.Combine(_dir, "state.sqlite"));
        var store = new SqliteProfileStore(database);
        var reader = new SqliteProfileAttributeReader(database);
        Assert.Equal(0, reader.Version);

        store.Save([Profile("p1", "free"), Profile("p2", "free"), Profile("p3", "pro")], [], 10);
        long v1 = reader.Version;
        Assert.Equal(1, v1);
        store.Save([Profile("p2", "pro")], [("app", "p3")], null);
        store.Delete("app", "p1");
        long v3 = reader.Version;
        Assert.Equal(3, v3);

        var fromStart = reader.ChangesSince("app", ["plan"], 0)!;
        Assert.Equal(new Dictionary<string, string?> { ["p2"] = "pro" }, Plans(fromStart));
        Assert.Equal(["p1", "p3"], fromStart.Removed.Order(StringComparer.Ordinal));
        var fromV1 = reader.ChangesSince("app", ["plan"], v1)!;
        Assert.Equal(["p2"], fromV1.Changed.Select(c => c.PersonId));
        Assert.Equal(["p1", "p3"], fromV1.Removed.Order(StringComparer.Ordinal));
        Assert.Equal(0, reader.ChangesSince("app", ["plan"], v3)!.Count);
        Assert.Equal(0, reader.ChangesSince("other-app", ["plan"], 0)!.Count);

        // A removed person saved again is changed (and removed: a copy drops the old row, then adds the new one).
        store.Save([Profile("p3", "enterprise")], [], null);
        var again = reader.ChangesSince("app", ["plan"], v3)!;
        Assert.Equal(new Dictionary<string, string?> { ["p3"] = "enterprise" }, Plans(again));

        // Removals are kept for SqliteProfileStore.DeletionsKept versions; a copy further behind is rebuilt.
        for (int i = 0; i < 1000; i++) store.Delete("app", "nobody-" + i);
        Assert.Null(reader.ChangesSince("app", ["plan"], v3));
        Assert.NotNull(reader.ChangesSince("app", ["plan"], reader.Version - 10));
        Assert.Null(reader.ChangesSince("app", ["plan"], reader.Version + 1));
    }

    [Fact]
    public void AFileFromBeforeVersions_IsMigratedAtOpen_ItsProfilesOlderThanAnyCopy()
    {
        string path = Path.Combine(_dir, "state.sqlite");
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE profiles (app_id TEXT NOT NULL, person_id TEXT NOT NULL, user_id TEXT, first_seen TEXT, last_active TEXT,
                    data TEXT NOT NULL, PRIMARY KEY (app_id, person_id)) WITHOUT ROWID;
                INSERT INTO profiles VALUES ('app', 'old', NULL, NULL, NULL, '{"attributes": {"plan": "legacy"}}');
                """;
            command.ExecuteNonQuery();
        }

        var database = new SqliteDatabase(path);
        var reader = new SqliteProfileAttributeReader(database);
        Assert.Equal([("old", "legacy")], reader.Read("app", ["plan"]).Select(r => (r.PersonId, r.Values[0]!.GetValue<string>())));
        Assert.Equal(0, reader.ChangesSince("app", ["plan"], 0)!.Count);

        new SqliteProfileStore(database).Save([Profile("new", "pro")], [], null);
        Assert.Equal(["new"], reader.ChangesSince("app", ["plan"], 0)!.Changed.Select(c => c.PersonId));
        Assert.Equal(["new", "old"], reader.Read("app", ["plan"]).Select(r => r.PersonId).Order(StringComparer.Ordinal));
    }
}
