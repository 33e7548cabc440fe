using System.Globalization;
using Lodestar.Core.Events;
using Lodestar.Storage.DuckDb;

namespace Lodestar.Analytics.Tests.Storage;

/// <summary>
/// Ingestion appends events to DuckDB from their log encoding, texts as UTF-8 bytes. What is read back must be what
/// was sent: an empty text stays empty (the appender takes an empty byte span for null), a null stays null, and
/// texts in any script arrive whole, whether the batch came in as objects or as several encoded records.
/// </summary>
public sealed class EncodedAppendTests : IDisposable
{
    private const string App = "app_enc";
    private readonly string _dir = Directory.CreateTempSubdirectory("lodestar-encoded-").FullName;
    private readonly DuckDbEventStore _store;

    public EncodedAppendTests() => _store = new DuckDbEventStore(Path.Combine(_dir, "events.duckdb"));

    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static StoredEvent Event(long seq, string person, string? userId, string? anonymousId, string properties, string? context) => new()
    {
        Sequence = seq,
        AppId = App,
        PersonId = person,
        ReceivedAt = DateTimeOffset.Parse("2024-05-01T08:00:00Z", CultureInfo.InvariantCulture).AddSeconds(seq),
        Event = new IncomingEvent
        {
            Type = EventTypes.Track,
            Name = seq % 2 == 0 ? "Käufe ✓" : "購入",
            UserId = userId,
            AnonymousId = anonymousId,
            MessageId = "msg-" + seq,
            Timestamp = DateTimeOffset.Parse("2024-05-01T07:59:00Z", CultureInfo.InvariantCulture).AddMilliseconds(seq),
            Value = seq == 2 ? 12.5 : null,
            PropertiesJson = properties,
            ContextJson = context,
            ProfileChanges = seq == 3 ? new ProfileChanges { SetJson = """{"tier":"金"}""" } : null,
            Source = "segment",
        },
    };

    [Fact]
    public void EncodedRecords_ReadBackAsSent_EmptyTextsEmpty_NullsNull_AnyScriptWhole()
    {
        const string Context = """{"locale":"zh-CN","device":{"model":"Pixel 8 😀"}}""";
        StoredEvent[] first =
        [
            Event(1, "p1", userId: "", anonymousId: "anon-1", properties: """{"note":""}""", context: Context),
            Event(2, "p1", userId: "u-1", anonymousId: null, properties: """{"emoji":"😀","n":2}""", context: Context),
        ];
        StoredEvent[] second =
        [
            Event(3, "p1", userId: "u-1", anonymousId: "", properties: """{"ünï":"cödé"}""", context: null),
            Event(4, "p1", userId: "u-1", anonymousId: "anon-1", properties: "{}", context: Context),
        ];

        // Two records in one append, as the ingestion path sends them; then the object form, which encodes first.
        _store.AppendEncoded([EventLogCodec.Encode(first), EventLogCodec.Encode(second)]);
        _store.Append([Event(5, "p1", userId: "u-1", anonymousId: "anon-1", properties: """{"last":true}""", context: Context)]);

        var read = _store.PersonEvents(App, "p1", limit: 10, includeInternal: true).OrderBy(e => e.Sequence).ToList();
        StoredEvent[] all = [.. first, .. second, Event(5, "p1", "u-1", "anon-1", """{"last":true}""", Context)];
        Assert.Equal(all.Length, read.Count);
        for (int i = 0; i < all.Length; i++)
        {
            var (want, got) = (all[i], read[i]);
            Assert.Equal(want.Sequence, got.Sequence);
            Assert.Equal(want.Event.Name, got.Event.Name);
            Assert.Equal(want.Event.UserId, got.Event.UserId);
            Assert.Equal(want.Event.AnonymousId, got.Event.AnonymousId);
            Assert.Equal(want.Event.MessageId, got.Event.MessageId);
            Assert.Equal(want.Event.Timestamp, got.Event.Timestamp);
            Assert.Equal(want.ReceivedAt, got.ReceivedAt);
            Assert.Equal(want.Event.Value, got.Event.Value);
            Assert.Equal(want.Event.PropertiesJson, got.Event.PropertiesJson);
            Assert.Equal(want.Event.ContextJson, got.Event.ContextJson);
            Assert.Equal(want.Event.ProfileChanges?.SetJson, got.Event.ProfileChanges?.SetJson);
        }

        // The repeated context is stored once, across the records and the two append forms.
        Assert.Equal(1L, Scalar($"SELECT count(DISTINCT context_id) FROM events WHERE app_id = '{App}' AND context_id IS NOT NULL"));
    }

    [Fact]
    public void EachPerson_GetsOneKey_WhetherTheirEventsComeInRunsOrInterleaved()
    {
        string[] persons = ["p1", "p1", "p1", "p2", "p1", "p3", "p3", "p2", "", "p1"];
        var events = persons.Select((person, i) => Event(i + 1, person, userId: null, anonymousId: "a-" + person, properties: "{}", context: null)).ToList();
        _store.AppendEncoded([EventLogCodec.Encode(events[..4]), EventLogCodec.Encode(events[4..])]);

        // One key per person id, a different one for each, and the same one the persons table names.
        Assert.Equal(0L, Scalar($"SELECT count(*) FROM (SELECT person_id FROM events WHERE app_id = '{App}' GROUP BY person_id HAVING count(DISTINCT person_key) <> 1)"));
        Assert.Equal(4L, Scalar($"SELECT count(DISTINCT person_key) FROM events WHERE app_id = '{App}'"));
        Assert.Equal(0L, Scalar($"SELECT count(*) FROM events e LEFT JOIN persons p ON p.person_key = e.person_key WHERE e.app_id = '{App}' AND p.person_id IS DISTINCT FROM e.person_id"));
    }

    private long Scalar(string sql)
    {
        using var connection = _store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }
}
