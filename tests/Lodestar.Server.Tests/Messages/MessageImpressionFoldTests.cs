using Lodestar.Core.Events;
using Lodestar.Core.Messages;
using Lodestar.Storage.DuckDb;
using Lodestar.Storage.Sqlite;
using Lodestar.Server.Tests.Infrastructure;

namespace Lodestar.Server.Tests.Messages;

/// <summary>Folding impressions and merges from a real DuckDB event store into real SQLite counts, page by page.</summary>
public sealed class MessageImpressionFoldTests : IDisposable
{
    private readonly string _dir = LodestarFactory.NewDataDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Fold_InSmallPages_CountsImpressions_AndMovesMergedPersons()
    {
        using var events = new DuckDbEventStore(Path.Combine(_dir, "events.duckdb"));
        long seq = 0;
        var t = new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero);
        StoredEvent E(string person, string name, string? messageId = null, string? merged = null, string app = "a") => new()
        {
            Sequence = ++seq, AppId = app, PersonId = person, ReceivedAt = t, MergedPersonId = merged,
            Event = new IncomingEvent
            {
                Type = EventTypes.Track, Name = name, UserId = person, Timestamp = t,
                PropertiesJson = messageId is null ? null : $$"""{"$messageId":"{{messageId}}"}""",
            },
        };
        events.Append(
        [
            E("anon", "$message:View", "11"), E("anon", "$message:View", "11"), E("anon", "$message:Accept", "11"),
            E("known", "$message:View", "11"), E("known", "$message:View", "12"), E("known", "App Open"),
            E("other", "$message:View", "11", app: "b"),
            // The login: anon's history becomes known's.
            E("known", "$identify", merged: "anon"),
            E("known", "$message:View", "11"), E("anon2", "$message:View", "12"),
        ]);

        var reader = new DuckDbMessageEventReader(events);
        var counts = new SqliteMessageImpressionStore(new SqliteDatabase(Path.Combine(_dir, "state.sqlite")));
        int pages = 0;
        while (true)
        {
            var (changes, upTo) = reader.ImpressionChangesAfter(counts.Cursor, seq, 2);
            if (upTo <= counts.Cursor) break;
            counts.Apply(changes, upTo);
            pages++;
        }

        Assert.True(pages >= 4, $"{pages} pages");
        Assert.Equal(seq, counts.Cursor);
        // Worked out by hand: known = 1 (own) + 2 (anon's) + 1 (after the login) of 11, and 1 of 12.
        Assert.Equal(new Dictionary<string, long> { ["11"] = 4, ["12"] = 1 }, counts.ImpressionsOf("a", "known", ["11", "12"]));
        Assert.Empty(counts.ImpressionsOf("a", "anon", ["11", "12"]));
        Assert.Equal(new Dictionary<string, long> { ["12"] = 1 }, counts.ImpressionsOf("a", "anon2", ["11", "12"]));
        Assert.Equal(new Dictionary<string, long> { ["11"] = 1 }, counts.ImpressionsOf("b", "other", ["11"]));
        Assert.Equal(new Dictionary<string, long> { ["11"] = 4 }, counts.ImpressionsOf("a", "known", ["11"]));

        // Nothing new: the fold stays where it is; a new impression moves it by one.
        Assert.Equal(seq, reader.ImpressionChangesAfter(counts.Cursor, seq, 2).UpTo);
        events.Append([E("known", "$message:View", "12")]);
        var (more, to) = reader.ImpressionChangesAfter(counts.Cursor, seq, 2);
        counts.Apply(more, to);
        Assert.Equal(2, counts.ImpressionsOf("a", "known", ["12"])["12"]);
    }
}
