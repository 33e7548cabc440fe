using System.Data.Common;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using DuckDB.NET.Data;
using Lodestar.Core.Events;

namespace Lodestar.Storage.DuckDb;

/// <summary>
/// The embedded columnar event store. One writer (the ingestion pipeline) appends through DuckDB's
/// appender; readers open their own connections to the same database instance.
/// </summary>
public sealed partial class DuckDbEventStore : IEventStore, IDisposable
{
    // The columns ReadEvent reads, over <see cref="EventsWithContext"/> (events e, contexts c).
    private const string EventColumns =
        "e.seq, e.app_id, e.message_id, e.type, e.name, e.person_id, e.user_id, e.anonymous_id, e.previous_id, e.time, e.received_at, " +
        "e.value, e.properties, c.text, e.profile_changes, e.source, e.internal, e.merged_person_id";

    /// <summary>
    /// Merged-away person keys resolved to the surviving person's key, for <c>LEFT JOIN ... o ON o.old_key = e.person_key</c>
    /// (keys are unique across apps, so the join needs no app id). Chains are flattened, so one join resolves.
    /// </summary>
    public const string KeyOverrides = "person_key_overrides";

    private readonly string _connectionString;
    private readonly DuckDBConnection _writer;

    // Person id → integer person key, per app (the persons table, loaded at open). Analytics group and join on the key.
    private readonly Dictionary<(string App, string Person), long> _keys = [];
    private readonly Lock _keyGate = new();
    private long _lastKey;

    /// <param name="memoryLimit">DuckDB's memory limit while an analytics query runs (and always, when <paramref name="ingestMemoryLimit"/> is not given).</param>
    /// <param name="queryThreads">Threads DuckDB runs on while an analytics query runs (0: the machine's cores); one otherwise.</param>
    /// <param name="ingestMemoryLimit">DuckDB's memory limit between analytics queries, when it only appends (null: <paramref name="memoryLimit"/>).</param>
    public DuckDbEventStore(string path, string memoryLimit = "1GB", string checkpointThreshold = "96MB", int queryThreads = 0, string? ingestMemoryLimit = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _connectionString = $"Data Source={path}";
        _writer = new DuckDBConnection(_connectionString);
        _writer.Open();
        // DuckDB checkpoints whenever its WAL passes 16 MB by default, which under steady ingestion means
        // rewriting row groups every few commits (measured: appends ran ~2x slower). Checkpoint less often; appended
        // rows stay in memory until a checkpoint writes them, so the threshold also bounds that memory.
        Execute(_writer, $"SET checkpoint_threshold = '{checkpointThreshold.Replace("'", "", StringComparison.Ordinal)}'");
        // Group-bys on the integer person key (funnel entries, paths' key lists) take DuckDB's perfect hash table, an
        // array indexed by the key, when the key's range fits this many bits; the default (12) stops at 4,096 persons.
        // 20 bits covers about a million persons at a few MB per thread; larger apps fall back to the ordinary hash table.
        Execute(_writer, "SET perfect_ht_threshold = 20");
        // DuckDB would otherwise take up to 80% of the machine's memory for its buffers.
        InitThreads(queryThreads, memoryLimit, ingestMemoryLimit);
        Execute(_writer, """
            CREATE TABLE IF NOT EXISTS events (
                seq BIGINT NOT NULL,
                app_id VARCHAR NOT NULL,
                message_id VARCHAR,
                type VARCHAR NOT NULL,
                name VARCHAR NOT NULL,
                person_id VARCHAR NOT NULL,
                user_id VARCHAR,
                anonymous_id VARCHAR,
                previous_id VARCHAR,
                time TIMESTAMP NOT NULL,
                received_at TIMESTAMP NOT NULL,
                value DOUBLE,
                properties VARCHAR,
                context_id BIGINT,
                profile_changes VARCHAR,
                source VARCHAR NOT NULL,
                internal BOOLEAN NOT NULL,
                merged_person_id VARCHAR,
                person_key BIGINT
            );
            CREATE TABLE IF NOT EXISTS person_overrides (
                app_id VARCHAR NOT NULL,
                old_person_id VARCHAR NOT NULL,
                person_id VARCHAR NOT NULL,
                PRIMARY KEY (app_id, old_person_id)
            );
            CREATE TABLE IF NOT EXISTS persons (
                app_id VARCHAR NOT NULL,
                person_key BIGINT NOT NULL,
                person_id VARCHAR NOT NULL
            );
            CREATE TABLE IF NOT EXISTS person_key_overrides (
                app_id VARCHAR NOT NULL,
                old_key BIGINT NOT NULL,
                person_key BIGINT NOT NULL,
                PRIMARY KEY (old_key)
            );
            """);
        MigratePersonKeys();
        OpenContexts();
        LoadPersonKeys();
        OpenMaterialized();
    }

    /// <summary>
    /// A data file written before events carried <c>person_key</c>: add the column, give every person id (of events and
    /// of overrides) a key, fill the column and the key overrides, in one transaction.
    /// </summary>
    private void MigratePersonKeys()
    {
        using var probe = _writer.CreateCommand();
        probe.CommandText = "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'events' AND column_name = 'person_key' AND schema_name = 'main'";
        if (Convert.ToInt64(probe.ExecuteScalar(), CultureInfo.InvariantCulture) > 0) return;
        Execute(_writer, """
            BEGIN TRANSACTION;
            ALTER TABLE events ADD COLUMN person_key BIGINT;
            INSERT INTO persons
                SELECT app_id, coalesce((SELECT max(person_key) FROM persons), 0) + row_number() OVER (ORDER BY app_id, person_id), person_id
                FROM (
                    SELECT app_id, person_id FROM events
                    UNION SELECT app_id, old_person_id FROM person_overrides
                    UNION SELECT app_id, person_id FROM person_overrides
                ) ids
                WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.app_id = ids.app_id AND p.person_id = ids.person_id);
            UPDATE events SET person_key = p.person_key FROM persons p WHERE p.app_id = events.app_id AND p.person_id = events.person_id;
            INSERT OR REPLACE INTO person_key_overrides
                SELECT o.app_id, a.person_key, b.person_key
                FROM person_overrides o
                JOIN persons a ON a.app_id = o.app_id AND a.person_id = o.old_person_id
                JOIN persons b ON b.app_id = o.app_id AND b.person_id = o.person_id;
            COMMIT;
            """);
    }

    private void LoadPersonKeys()
    {
        using var command = _writer.CreateCommand();
        command.CommandText = "SELECT app_id, person_id, person_key FROM persons";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            long key = reader.GetInt64(2);
            _keys[(reader.GetString(0), reader.GetString(1))] = key;
            _lastKey = Math.Max(_lastKey, key);
        }
    }

    /// <summary>The key of a person id, a new one (added to <paramref name="fresh"/>, not yet to the map) when unseen.</summary>
    private long KeyOf(string appId, string personId, Dictionary<(string App, string Person), long> fresh)
    {
        if (_keys.TryGetValue((appId, personId), out long key) || fresh.TryGetValue((appId, personId), out key)) return key;
        key = ++_lastKey;
        fresh[(appId, personId)] = key;
        return key;
    }

    /// <summary>Writes the new keys' rows on the writer (inside the caller's transaction).</summary>
    private void AppendPersons(Dictionary<(string App, string Person), long> fresh)
    {
        if (fresh.Count == 0) return;
        using var appender = _writer.CreateAppender("persons");
        foreach (var ((app, person), key) in fresh) appender.CreateRow().AppendValue(app).AppendValue(key).AppendValue(person).EndRow();
    }

    /// <summary>
    /// Runs <paramref name="write"/> (which may add keys to <paramref name="fresh"/>), then writes the new keys' rows, in one
    /// transaction on the writer; the new keys join the map once it committed.
    /// </summary>
    private void InTransaction(Dictionary<(string App, string Person), long> fresh, Action write)
    {
        Execute(_writer, "BEGIN TRANSACTION");
        try
        {
            write();
            AppendPersons(fresh);
            Execute(_writer, "COMMIT");
        }
        catch
        {
            ForgetLastContext();
            Execute(_writer, "ROLLBACK");
            throw;
        }

        foreach (var (id, key) in fresh) _keys[id] = key;
    }

    /// <summary>Opens a read connection to the same database instance (cheap: the instance is shared).</summary>
    public DuckDBConnection OpenConnection()
    {
        var connection = new DuckDBConnection(_connectionString);
        connection.Open();
        return connection;
    }

    public long MaxSequence()
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT coalesce(max(seq), 0) FROM events";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    public void Append(IReadOnlyList<StoredEvent> events)
    {
        if (events.Count > 0) AppendEncoded([EventLogCodec.Encode(events)]);
    }

    public void AppendEncoded(IReadOnlyList<ReadOnlyMemory<byte>> records)
    {
        if (records.Count == 0) return;
        lock (_keyGate)
        {
            // New person ids get their keys in the same transaction as the events; DuckDB syncs its WAL on commit,
            // so the events are durable on return.
            var fresh = new Dictionary<(string App, string Person), long>();
            var contexts = new Dictionary<UInt128, (long Id, string Text)>();
            InTransaction(fresh, () =>
            {
                AppendEvents(records, fresh, contexts);
                AppendContexts(contexts);
            });
            RememberContexts(contexts);
        }
    }

    // The texts go to the appender as the record's UTF-8 bytes: no string is made for them on the way.
    private void AppendEvents(IReadOnlyList<ReadOnlyMemory<byte>> records, Dictionary<(string App, string Person), long> fresh, Dictionary<UInt128, (long Id, string Text)> contexts)
    {
        using var appender = _writer.CreateAppender("events");
        string app = "";
        var appId = new LastText();
        // The last person's key: a request's events are mostly one device's, so the key map is asked once a run.
        var person = new LastText();
        long personKey = 0;
        foreach (var record in records)
        {
            var reader = new EncodedEventReader(record.Span);
            while (reader.Next(out var e))
            {
                if (!appId.Is(e.AppId.Bytes))
                {
                    appId.Set(e.AppId.Bytes);
                    app = Encoding.UTF8.GetString(e.AppId.Bytes);
                    person.Clear();
                }

                if (!person.Is(e.PersonId.Bytes))
                {
                    person.Set(e.PersonId.Bytes);
                    personKey = KeyOf(app, Encoding.UTF8.GetString(e.PersonId.Bytes), fresh);
                }

                var row = appender.CreateRow().AppendValue(e.Sequence);
                Text(row, e.AppId);
                Text(row, e.MessageId);
                Text(row, e.Type);
                Text(row, e.Name);
                Text(row, e.PersonId);
                Text(row, e.UserId);
                Text(row, e.AnonymousId);
                Text(row, e.PreviousId);
                row.AppendValue(new DateTime(e.TimestampTicks, DateTimeKind.Utc))
                    .AppendValue(new DateTime(e.ReceivedAtTicks, DateTimeKind.Utc))
                    .AppendValue(e.Value);
                Text(row, e.Properties);
                row.AppendValue(ContextIdOf(e.Context, contexts));
                Text(row, e.ProfileChanges);
                Text(row, e.Source);
                row.AppendValue(e.Internal);
                Text(row, e.MergedPersonId);
                row.AppendValue(personKey);
                // Materialized property columns come last; the background fill writes them (none: no cost).
                for (int i = 0; i < _materializedColumns; i++) row.AppendNullValue();
                row.EndRow();
            }
        }
    }

    /// <summary>The last UTF-8 text seen, to tell a repeat from a new one without decoding either.</summary>
    private sealed class LastText
    {
        private byte[] _bytes = new byte[256];
        private int _length = -1;

        public bool Is(ReadOnlySpan<byte> text) => text.Length == _length && text.SequenceEqual(_bytes.AsSpan(0, _length));

        public void Set(ReadOnlySpan<byte> text)
        {
            if (_bytes.Length < text.Length) _bytes = new byte[Math.Max(text.Length, 2 * _bytes.Length)];
            text.CopyTo(_bytes);
            _length = text.Length;
        }

        public void Clear() => _length = -1;
    }

    private static void Text(IDuckDBAppenderRow row, Utf8Text text)
    {
        if (text.IsNull) row.AppendNullValue();
        // The appender takes a span that points nowhere for null; an empty text goes as a string, so it cannot be one.
        else if (text.Bytes.IsEmpty) row.AppendValue(string.Empty);
        // It only reads the bytes (into DuckDB's vector), though its parameter is a writable span.
        else row.AppendValue(MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(text.Bytes), text.Bytes.Length));
    }

    public void RecordMerge(string appId, string oldPersonId, string personId)
    {
        lock (_keyGate)
        {
            var fresh = new Dictionary<(string App, string Person), long>();
            long oldKey = KeyOf(appId, oldPersonId, fresh);
            long key = KeyOf(appId, personId, fresh);
            InTransaction(fresh, () =>
            {
                // Flatten chains (a→b then b→c becomes a→c, b→c) so queries need one join; the key twin alike.
                Merge("person_overrides", "old_person_id", "person_id", appId, oldPersonId, personId);
                Merge("person_key_overrides", "old_key", "person_key", appId, oldKey, key);
            });
        }
    }

    private void Merge(string table, string oldColumn, string column, string appId, object old, object current)
    {
        using var command = _writer.CreateCommand();
        command.CommandText = $"""
            UPDATE {table} SET {column} = $3 WHERE app_id = $1 AND {column} = $2;
            INSERT OR REPLACE INTO {table} (app_id, {oldColumn}, {column}) VALUES ($1, $2, $3);
            """;
        command.Parameters.Add(new DuckDBParameter(appId));
        command.Parameters.Add(new DuckDBParameter(old));
        command.Parameters.Add(new DuckDBParameter(current));
        command.ExecuteNonQuery();
    }

    public IEnumerable<(string AppId, string MessageId, DateTimeOffset ReceivedAt)> RecentMessageIds(DateTimeOffset since)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT app_id, message_id, received_at FROM events WHERE message_id IS NOT NULL AND received_at >= $1";
        command.Parameters.Add(new DuckDBParameter(since.UtcDateTime));
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            yield return (reader.GetString(0), reader.GetString(1), AsUtc(reader.GetDateTime(2)));
        }
    }

    public IEnumerable<StoredEvent> ReadFrom(long afterSequence, int limit)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        // The chunk first, then its contexts: the join sees only the chunk's rows.
        command.CommandText = $"""
            SELECT {EventColumns}
            FROM (SELECT * FROM events WHERE seq > $1 ORDER BY seq LIMIT $2) e LEFT JOIN {ContextsTable} c ON c.id = e.context_id
            ORDER BY e.seq
            """;
        command.Parameters.Add(new DuckDBParameter(afterSequence));
        command.Parameters.Add(new DuckDBParameter(limit));
        using var reader = command.ExecuteReader();
        while (reader.Read()) yield return ReadEvent(reader);
    }

    public IReadOnlyList<StoredEvent> PersonEvents(string appId, string personId, int limit, bool includeInternal)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {EventColumns}
            FROM (
                SELECT * FROM events
                WHERE app_id = $1
                  AND person_id IN (SELECT $2 UNION ALL SELECT old_person_id FROM person_overrides WHERE app_id = $1 AND person_id = $2)
                  {(includeInternal ? "" : "AND NOT internal")}
                ORDER BY time DESC, seq DESC
                LIMIT $3
            ) e LEFT JOIN {ContextsTable} c ON c.id = e.context_id
            ORDER BY e.time DESC, e.seq DESC
            """;
        command.Parameters.Add(new DuckDBParameter(appId));
        command.Parameters.Add(new DuckDBParameter(personId));
        command.Parameters.Add(new DuckDBParameter(limit));
        using var reader = command.ExecuteReader();
        var events = new List<StoredEvent>();
        while (reader.Read()) events.Add(ReadEvent(reader));
        return events;
    }

    public IReadOnlyList<StoredEvent> PersonsEvents(string appId, IReadOnlyCollection<string> personIds, IReadOnlyCollection<string> names, long maxSequence)
    {
        if (personIds.Count == 0 || names.Count == 0) return [];
        string app = Literal(appId);
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            WITH wanted(person_id) AS (VALUES {string.Join(", ", personIds.Select(p => $"({Literal(p)})"))}),
            ids AS (
                SELECT person_id AS id, person_id FROM wanted
                UNION ALL
                SELECT o.old_person_id, o.person_id FROM person_overrides o JOIN wanted w ON o.person_id = w.person_id WHERE o.app_id = {app}
            )
            SELECT {EventColumns}, e.canonical FROM (
                SELECT e.*, ids.person_id AS canonical FROM events e JOIN ids ON e.person_id = ids.id
                WHERE e.app_id = {app} AND NOT e.internal AND e.seq <= $1 AND e.name IN ({string.Join(", ", names.Select(Literal))})
            ) e LEFT JOIN {ContextsTable} c ON c.id = e.context_id
            ORDER BY e.seq
            """;
        command.Parameters.Add(new DuckDBParameter(maxSequence));
        using var reader = command.ExecuteReader();
        var events = new List<StoredEvent>();
        while (reader.Read()) events.Add(ReadEvent(reader) with { PersonId = reader.GetString(18) });
        return events;
    }

    public long Export(string appId, DateTimeOffset from, DateTimeOffset to, ExportFormat format, string path)
    {
        using var threads = UseQueryThreads();
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        string options = format switch
        {
            ExportFormat.Parquet => "FORMAT parquet",
            ExportFormat.Csv => "FORMAT csv, HEADER true",
            _ => "FORMAT json",
        };
        // The export shows persons as analytics count them: merged ids resolved to the surviving person.
        command.CommandText = $"""
            COPY (
                SELECT e.message_id AS "messageId", e.type, e.name AS "event", coalesce(o.person_id, e.person_id) AS "personId",
                       e.user_id AS "userId", e.anonymous_id AS "anonymousId",
                       strftime(e.time, '%Y-%m-%dT%H:%M:%S.%fZ') AS "timestamp",
                       strftime(e.received_at, '%Y-%m-%dT%H:%M:%S.%fZ') AS "receivedAt",
                       e.value, {(format == ExportFormat.Jsonl ? "json(e.properties)" : "e.properties")} AS properties,
                       {(format == ExportFormat.Jsonl ? "json(c.text)" : "c.text")} AS context, e.source
                FROM {EventsWithContext}
                LEFT JOIN person_overrides o ON o.app_id = e.app_id AND o.old_person_id = e.person_id
                WHERE e.app_id = $1 AND e.time >= $2 AND e.time < $3 AND NOT e.internal
                ORDER BY e.time, e.seq
            ) TO '{path.Replace("'", "''", StringComparison.Ordinal)}' ({options})
            """;
        command.Parameters.Add(new DuckDBParameter(appId));
        command.Parameters.Add(new DuckDBParameter(from.UtcDateTime));
        command.Parameters.Add(new DuckDBParameter(to.UtcDateTime));
        return command.ExecuteNonQuery();
    }

    public long DeletePerson(string appId, string personId)
    {
        // Not beside a materialized-property fill, which could be updating the same rows; not beside an append, which
        // could name a context being erased (the writer's lock comes first, as in Materialize).
        lock (_keyGate)
        lock (_fillGate)
        {
            long deleted = DeletePersonEvents(appId, personId);
            if (deleted > 0) ForgetUnreferencedValues();
            return deleted;
        }
    }

    /// <summary>Deletes the person's events and the contexts no other event names, in one transaction.</summary>
    private long DeletePersonEvents(string appId, string personId)
    {
        using var connection = OpenConnection();
        using var transaction = connection.BeginTransaction();
        long deleted = 0;
        var contexts = new HashSet<long>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                DELETE FROM events WHERE app_id = $1
                  AND person_id IN (SELECT $2 UNION ALL SELECT old_person_id FROM person_overrides WHERE app_id = $1 AND person_id = $2)
                RETURNING context_id
                """;
            command.Parameters.Add(new DuckDBParameter(appId));
            command.Parameters.Add(new DuckDBParameter(personId));
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                deleted++;
                if (!reader.IsDBNull(0)) contexts.Add(reader.GetInt64(0));
            }
        }

        DeleteUnusedContexts(connection, contexts);
        transaction.Commit();
        return deleted;
    }

    public void Dispose()
    {
        // Registered under two service types, so the container may dispose it twice.
        if (_writer.State != System.Data.ConnectionState.Open) return;
        try
        {
            Execute(_writer, "CHECKPOINT");
        }
        catch (DuckDBException)
        {
            // A checkpoint is an optimisation; the WAL is replayed on the next start anyway.
        }

        DisposeThreads();
        _writer.Dispose();
    }

    private static StoredEvent ReadEvent(DbDataReader reader)
    {
        string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
        string? changes = Text(14);
        return new StoredEvent
        {
            Sequence = reader.GetInt64(0),
            AppId = reader.GetString(1),
            PersonId = reader.GetString(5),
            ReceivedAt = AsUtc(reader.GetDateTime(10)),
            MergedPersonId = Text(17),
            Event = new IncomingEvent
            {
                MessageId = Text(2),
                Type = reader.GetString(3),
                Name = reader.GetString(4),
                UserId = Text(6),
                AnonymousId = Text(7),
                PreviousId = Text(8),
                Timestamp = AsUtc(reader.GetDateTime(9)),
                Value = reader.IsDBNull(11) ? null : reader.GetDouble(11),
                PropertiesJson = Text(12),
                ContextJson = Text(13),
                ProfileChanges = changes is null ? null : JsonSerializer.Deserialize<ProfileChanges>(changes, EventLogCodec.Json),
                Source = reader.GetString(15),
                Internal = reader.GetBoolean(16),
            },
        };
    }

    private static DateTimeOffset AsUtc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    private static void Execute(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
