using System.Globalization;
using DuckDB.NET.Data;
using Lodestar.Core.Events;
using Lodestar.Storage.DuckDb;

namespace Lodestar.Analytics.Tests.Storage;

/// <summary>
/// The event store keeps each distinct <c>context</c> text once (<c>contexts</c>) and an id per event. Every reader
/// sees the text as before; a data file written with the text per event is migrated at open; erasing a person erases
/// the contexts only their events named.
/// </summary>
public sealed class ContextStorageTests : IDisposable
{
    private const string App = "app_ctx";
    private const string Phone = """{"device":{"id":"d1","model":"Pixel"},"os":{"name":"Android"},"ip":"10.0.0.1"}""";
    private const string Laptop = """{"userAgent":"Firefox","ip":"10.0.0.2","locale":"de-DE"}""";
    private const string Tablet = """{"device":{"id":"d3"},"os":{"name":"iPadOS"},"ip":"10.0.0.3"}""";

    private readonly string _dir = Directory.CreateTempSubdirectory("lodestar-contexts-").FullName;
    private DuckDbEventStore _store;

    public ContextStorageTests() => _store = new DuckDbEventStore(File);

    private string File => Path.Combine(_dir, "events.duckdb");

    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static StoredEvent Event(long seq, string person, string? context) => new()
    {
        Sequence = seq,
        AppId = App,
        PersonId = person,
        ReceivedAt = DateTimeOffset.Parse("2024-03-01T10:00:00Z", CultureInfo.InvariantCulture).AddSeconds(seq),
        Event = new IncomingEvent
        {
            Type = "track",
            Name = "Open",
            UserId = person,
            Timestamp = DateTimeOffset.Parse("2024-03-01T10:00:00Z", CultureInfo.InvariantCulture).AddSeconds(seq),
            PropertiesJson = $$"""{"n":{{seq}}}""",
            // A fresh instance each time: the store must not depend on callers sharing strings.
            ContextJson = context is null ? null : new string(context.AsSpan()),
        },
    };

    private object? Scalar(string sql)
    {
        using var connection = _store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private long Count(string sql) => Convert.ToInt64(Scalar(sql), CultureInfo.InvariantCulture);

    private List<string> Columns()
    {
        using var connection = _store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT column_name || ' ' || data_type || ' ' || is_nullable FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = 'events' ORDER BY column_index";
        using var reader = command.ExecuteReader();
        var columns = new List<string>();
        while (reader.Read()) columns.Add(reader.GetString(0));
        return columns;
    }

    private void Reopen(Action<DuckDBConnection> change)
    {
        _store.Dispose();
        using (var connection = new DuckDBConnection($"Data Source={File}"))
        {
            connection.Open();
            change(connection);
        }

        _store = new DuckDbEventStore(File);
    }

    /// <summary>(seq, context) of every stored event, by sequence.</summary>
    private string Stored() => string.Join("; ", _store.ReadFrom(0, 1000).Select(e => $"{e.Sequence}={e.Event.ContextJson ?? "null"}"));

    [Fact]
    public void EachDistinctContext_IsStoredOnce_AndReadBackPerEvent()
    {
        string[] contexts = [Phone, Phone, Laptop, Phone, null!, Laptop, Tablet, Phone];
        _store.Append(contexts.Select((c, i) => Event(i + 1, i % 2 == 0 ? "u1" : "u2", c)).ToList());
        // Another batch repeating known contexts, one per append.
        _store.Append([Event(9, "u1", Tablet)]);
        _store.Append([Event(10, "u2", Phone)]);

        string expected = $"1={Phone}; 2={Phone}; 3={Laptop}; 4={Phone}; 5=null; 6={Laptop}; 7={Tablet}; 8={Phone}; 9={Tablet}; 10={Phone}";
        Assert.Equal(expected, Stored());
        Assert.Equal(3L, Count("SELECT count(*) FROM contexts"));
        Assert.Equal(3L, Count("SELECT count(DISTINCT text) FROM contexts"));
        Assert.Equal(1L, Count("SELECT count(*) FROM events WHERE context_id IS NULL"));

        // After a reopen the store still knows the contexts it wrote: no new rows for known texts.
        Reopen(_ => { });
        _store.Append([Event(11, "u3", Laptop), Event(12, "u3", Tablet)]);
        Assert.Equal(3L, Count("SELECT count(*) FROM contexts"));
        Assert.Equal(expected + $"; 11={Laptop}; 12={Tablet}", Stored());

        // The per-person readers and the export see the text.
        var u3 = _store.PersonEvents(App, "u3", 10, includeInternal: false);
        Assert.Equal([Tablet, Laptop], u3.Select(e => e.Event.ContextJson));
        var grains = _store.PersonsEvents(App, ["u2"], ["Open"], 100);
        Assert.Equal([Phone, Phone, Laptop, Phone, Phone], grains.Select(e => e.Event.ContextJson));
        string export = Path.Combine(_dir, "export.jsonl");
        Assert.Equal(12L, _store.Export(App, DateTimeOffset.Parse("2024-01-01T00:00:00Z", CultureInfo.InvariantCulture), DateTimeOffset.Parse("2025-01-01T00:00:00Z", CultureInfo.InvariantCulture), ExportFormat.Jsonl, export));
        var lines = System.IO.File.ReadAllLines(export);
        Assert.Contains("\"ip\":\"10.0.0.2\"", lines[2], StringComparison.Ordinal);
        Assert.Contains("\"context\":null", lines[4], StringComparison.Ordinal);
    }

    [Fact]
    public void OldDataFile_WithContextText_IsMigratedAtOpen()
    {
        var newColumns = Columns();
        // The events table as the store wrote it before contexts (the text per event), with a materialized column.
        Reopen(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = """
                DROP TABLE events; DROP TABLE contexts;
                CREATE TABLE events (
                    seq BIGINT NOT NULL, app_id VARCHAR NOT NULL, message_id VARCHAR, type VARCHAR NOT NULL, name VARCHAR NOT NULL,
                    person_id VARCHAR NOT NULL, user_id VARCHAR, anonymous_id VARCHAR, previous_id VARCHAR, time TIMESTAMP NOT NULL,
                    received_at TIMESTAMP NOT NULL, value DOUBLE, properties VARCHAR, context VARCHAR, profile_changes VARCHAR,
                    source VARCHAR NOT NULL, internal BOOLEAN NOT NULL, merged_person_id VARCHAR, person_key BIGINT, "mp_test" VARCHAR);
                INSERT INTO events VALUES
                    (3, 'app_ctx', 'm3', 'track', 'Open', 'u1', 'u1', NULL, NULL, '2024-03-01 10:00:03', '2024-03-01 10:00:03', NULL, '{"n":3}', $$CTX_PHONE$$, NULL, 'segment', false, NULL, 1, 'x'),
                    (1, 'app_ctx', 'm1', 'track', 'Open', 'u1', 'u1', NULL, NULL, '2024-03-01 10:00:01', '2024-03-01 10:00:01', 2.5, '{"n":1}', $$CTX_PHONE$$, NULL, 'segment', false, NULL, 1, NULL),
                    (2, 'app_ctx', 'm2', 'track', 'Open', 'u2', 'u2', NULL, NULL, '2024-03-01 10:00:02', '2024-03-01 10:00:02', NULL, '{"n":2}', $$CTX_LAPTOP$$, NULL, 'segment', false, NULL, 2, NULL),
                    (4, 'app_ctx', 'm4', 'track', 'Open', 'u2', 'u2', NULL, NULL, '2024-03-01 10:00:04', '2024-03-01 10:00:04', NULL, NULL, NULL, NULL, 'segment', true, NULL, 2, NULL);
                INSERT INTO materialized_properties VALUES ('app_ctx', 'test', 'mp_test', 3, false, '2024-03-01 10:00:00');
                CHECKPOINT;
                """.Replace("$$CTX_PHONE$$", "'" + Phone + "'", StringComparison.Ordinal).Replace("$$CTX_LAPTOP$$", "'" + Laptop + "'", StringComparison.Ordinal);
            command.ExecuteNonQuery();
        });

        // Migrated: the id in the text's place, the other columns (and their constraints) as they were; the materialized
        // column of the earlier text form is in the id form, to be filled again from the JSON (watermark back to 0).
        Assert.Equal([.. newColumns, "mp_test INTEGER true"], Columns());
        Assert.Equal(2L, Count("SELECT count(*) FROM contexts"));
        Assert.Equal($"1={Phone}; 2={Laptop}; 3={Phone}; 4=null", Stored());
        Assert.Equal(0L, Count("SELECT filled_to FROM materialized_properties WHERE property = 'test'"));
        Assert.Equal(2.5, Convert.ToDouble(Scalar("SELECT value FROM events WHERE seq = 1"), CultureInfo.InvariantCulture));
        Assert.True((bool)Scalar("SELECT internal FROM events WHERE seq = 4")!);

        // Appends after the migration reuse the migrated rows and add new texts.
        _store.Append([Event(5, "u1", Laptop), Event(6, "u3", Tablet)]);
        Assert.Equal(3L, Count("SELECT count(*) FROM contexts"));
        Assert.Equal($"1={Phone}; 2={Laptop}; 3={Phone}; 4=null; 5={Laptop}; 6={Tablet}", Stored());

        // Opening the migrated file again changes nothing.
        Reopen(_ => { });
        Assert.Equal([.. newColumns, "mp_test INTEGER true"], Columns());
        Assert.Equal(3L, Count("SELECT count(*) FROM contexts"));
    }

    [Fact]
    public void ErasingAPerson_ErasesTheContextsOnlyTheirEventsNamed()
    {
        _store.Append([Event(1, "u1", Phone), Event(2, "u1", Laptop), Event(3, "u2", Phone), Event(4, "u2", null)]);
        Assert.Equal(2L, Count("SELECT count(*) FROM contexts"));

        Assert.Equal(2L, _store.DeletePerson(App, "u1"));
        // The laptop's text was u1's alone; the phone's is still named by u2's event.
        Assert.Equal(0L, Count($"SELECT count(*) FROM contexts WHERE text = '{Laptop}'"));
        Assert.Equal(1L, Count($"SELECT count(*) FROM contexts WHERE text = '{Phone}'"));
        Assert.Equal($"3={Phone}; 4=null", Stored());

        // The writer does not hand out the erased row again: the text comes back as a new row.
        _store.Append([Event(5, "u1", Laptop), Event(6, "u3", Phone)]);
        Assert.Equal($"3={Phone}; 4=null; 5={Laptop}; 6={Phone}", Stored());
        Assert.Equal(0L, Count("SELECT count(*) FROM events e WHERE e.context_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM contexts c WHERE c.id = e.context_id)"));

        Assert.Equal(2L, _store.DeletePerson(App, "u2"));
        Assert.Equal(0L, _store.DeletePerson(App, "nobody"));
        Assert.Equal(0L, Count("SELECT count(*) FROM events e WHERE e.context_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM contexts c WHERE c.id = e.context_id)"));
        Assert.Equal($"5={Laptop}; 6={Phone}", Stored());
    }
}
