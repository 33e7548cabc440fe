using System.Globalization;
using Lodestar.Core.Segments;
using Microsoft.Data.Sqlite;

namespace Lodestar.Storage.Sqlite;

/// <summary>Real-time segment memberships, their history, re-evaluation timers and the engine's cursor, in SQLite.</summary>
public sealed class SqliteSegmentMembershipStore : ISegmentMembershipStore, IDisposable
{
    private readonly SqliteDatabase _database;
    private readonly Lock _erasedGate = new();
    private readonly HashSet<(string App, string Person)> _erased = [];
    // The commits' connection, opened at the first commit (guarded by _erasedGate, as every commit is).
    private Writer? _writer;

    public SqliteSegmentMembershipStore(SqliteDatabase database)
    {
        _database = database;
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        // Layout for the engine's commits, which touch rows of persons all over the key space at every step: one B-tree
        // per table that readers need, none more, and rows as small as they can be. Current memberships are integer
        // pairs keyed by person (the grains and the users API read a person's memberships; listing a segment's members,
        // done when a segment is deleted, scans), the person and segment ids stored once each beside them; a commit
        // rewrites every page holding a row it changes, so small rows are fewer pages to write. The history is
        // append-only in commit order with no index: its readers (a person's history, erasure) are rare and scan,
        // where an index by person made every commit dirty nearly every page of that index.
        bool textLayout = MoveTextMembersAside(connection, transaction);
        SqliteDatabase.Execute(connection, """
            CREATE TABLE IF NOT EXISTS segment_member_persons (
                key INTEGER PRIMARY KEY,
                app_id TEXT NOT NULL,
                person_id TEXT NOT NULL,
                UNIQUE (app_id, person_id)
            );
            CREATE TABLE IF NOT EXISTS segment_member_segments (
                key INTEGER PRIMARY KEY,
                app_id TEXT NOT NULL,
                segment_id TEXT NOT NULL,
                UNIQUE (app_id, segment_id)
            );
            CREATE TABLE IF NOT EXISTS segment_members (
                person_key INTEGER NOT NULL,
                segment_key INTEGER NOT NULL,
                entered_at INTEGER NOT NULL,
                PRIMARY KEY (person_key, segment_key)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS segment_member_history (
                id INTEGER PRIMARY KEY,
                app_id TEXT NOT NULL,
                segment_id TEXT NOT NULL,
                person_id TEXT NOT NULL,
                entered INTEGER NOT NULL,
                at TEXT NOT NULL
            );
            DROP INDEX IF EXISTS segment_member_history_person;
            CREATE TABLE IF NOT EXISTS segment_timers (
                app_id TEXT NOT NULL,
                person_id TEXT NOT NULL,
                due_at TEXT NOT NULL,
                PRIMARY KEY (app_id, person_id)
            ) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS segment_timers_due ON segment_timers (due_at);
            CREATE TABLE IF NOT EXISTS segment_emissions (
                id INTEGER PRIMARY KEY,
                app_id TEXT NOT NULL,
                person_id TEXT NOT NULL,
                segment_id TEXT NOT NULL,
                segment_name TEXT NOT NULL,
                entered INTEGER NOT NULL,
                anonymous INTEGER NOT NULL,
                identity TEXT NOT NULL,
                at INTEGER NOT NULL
            );
            CREATE TABLE IF NOT EXISTS segment_engine_segments (
                app_id TEXT NOT NULL,
                segment_id TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                PRIMARY KEY (app_id, segment_id)
            ) WITHOUT ROWID;
            """, transaction);
        if (textLayout) MigrateTextMembers(connection, transaction);
        transaction.Commit();
    }

    /// <summary>
    /// Files written before the integer keys hold memberships as text rows (app, person, segment, entry time), keyed by
    /// person or, before that, by segment with a second index by person: that table is renamed aside for
    /// <see cref="MigrateTextMembers"/>, in the transaction that creates the new one. Whether it was.
    /// </summary>
    private static bool MoveTextMembersAside(SqliteConnection connection, SqliteTransaction transaction)
    {
        using var probe = connection.CreateCommand();
        probe.Transaction = transaction;
        probe.CommandText = "SELECT count(*) FROM pragma_table_info('segment_members') WHERE name = 'app_id'";
        if ((long)probe.ExecuteScalar()! == 0) return false;
        SqliteDatabase.Execute(connection, """
            DROP INDEX IF EXISTS segment_members_person;
            ALTER TABLE segment_members RENAME TO segment_members_text;
            """, transaction);
        return true;
    }

    /// <summary>The text rows moved aside by <see cref="MoveTextMembersAside"/> written as keyed rows, then dropped.</summary>
    private static void MigrateTextMembers(SqliteConnection connection, SqliteTransaction transaction)
    {
        using var read = connection.CreateCommand();
        read.Transaction = transaction;
        read.CommandText = "SELECT app_id, person_id, segment_id, entered_at FROM segment_members_text ORDER BY app_id, person_id, segment_id";
        using var keys = new Keys(connection);
        using var insert = new RowStatement(connection, "INSERT INTO segment_members (person_key, segment_key, entered_at) VALUES (?1, ?2, ?3)");
        using (var reader = read.ExecuteReader())
        {
            while (reader.Read())
            {
                string app = reader.GetString(0);
                insert.Bind(1, keys.Person(app, reader.GetString(1))).Bind(2, keys.Segment(app, reader.GetString(2))).Bind(3, Time(reader.GetString(3)).UtcTicks).Run();
            }
        }

        SqliteDatabase.Execute(connection, "DROP TABLE segment_members_text", transaction);
    }

    public long Cursor
    {
        get
        {
            using var connection = _database.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT value FROM settings WHERE name = 'segment_engine_cursor'";
            return command.ExecuteScalar() is string text ? long.Parse(text, CultureInfo.InvariantCulture) : 0;
        }
    }

    public IReadOnlyDictionary<string, DateTimeOffset> Memberships(string appId, string personId)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT s.segment_id, m.entered_at
            FROM segment_member_persons p
            JOIN segment_members m ON m.person_key = p.key
            JOIN segment_member_segments s ON s.key = m.segment_key
            WHERE p.app_id = $app AND p.person_id = $person
            """;
        command.Parameters.AddWithValue("$app", appId);
        command.Parameters.AddWithValue("$person", personId);
        using var reader = command.ExecuteReader();
        var result = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        while (reader.Read()) result[reader.GetString(0)] = new DateTimeOffset(reader.GetInt64(1), TimeSpan.Zero);
        return result;
    }

    public IReadOnlyList<string> Members(string appId, string segmentId)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT p.person_id
            FROM segment_member_segments s
            JOIN segment_members m ON m.segment_key = s.key
            JOIN segment_member_persons p ON p.key = m.person_key
            WHERE s.app_id = $app AND s.segment_id = $segment
            ORDER BY p.person_id
            """;
        command.Parameters.AddWithValue("$app", appId);
        command.Parameters.AddWithValue("$segment", segmentId);
        using var reader = command.ExecuteReader();
        var result = new List<string>();
        while (reader.Read()) result.Add(reader.GetString(0));
        return result;
    }

    public long Commit(IReadOnlyCollection<SegmentMembershipChange> changes, IReadOnlyCollection<SegmentTimer> timers, long? cursor, IReadOnlyCollection<SegmentEmission>? emissions = null)
    {
        emissions ??= [];
        lock (_erasedGate)
        {
            // A commit decided before an erasure (a router step or an initial evaluation in flight) must not bring the
            // erased person's rows back: erased persons never come back under the same person id.
            if (_erased.Count > 0)
            {
                if (changes.Any(c => _erased.Contains((c.AppId, c.PersonId)))) changes = [.. changes.Where(c => !_erased.Contains((c.AppId, c.PersonId)))];
                if (timers.Any(t => _erased.Contains((t.AppId, t.PersonId)))) timers = [.. timers.Where(t => !_erased.Contains((t.AppId, t.PersonId)))];
                if (emissions.Any(e => _erased.Contains((e.AppId, e.PersonId)))) emissions = [.. emissions.Where(e => !_erased.Contains((e.AppId, e.PersonId)))];
            }

            return CommitUnguarded(changes, timers, cursor, emissions);
        }
    }

    public IReadOnlyList<SegmentEmission> PendingEmissions(int limit)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT id, app_id, person_id, segment_id, segment_name, entered, anonymous, identity, at
            FROM segment_emissions ORDER BY id LIMIT $limit
            """;
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        var pending = new List<SegmentEmission>();
        while (reader.Read())
        {
            bool anonymous = reader.GetInt64(6) != 0;
            string identity = reader.GetString(7);
            pending.Add(new SegmentEmission(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetInt64(5) != 0,
                anonymous ? null : identity, anonymous ? identity : null, new DateTimeOffset(reader.GetInt64(8), TimeSpan.Zero)));
        }

        return pending;
    }

    public void EmissionsDone(long throughId)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM segment_emissions WHERE id <= $id";
        command.Parameters.AddWithValue("$id", throughId);
        command.ExecuteNonQuery();
    }

    private long CommitUnguarded(IReadOnlyCollection<SegmentMembershipChange> changes, IReadOnlyCollection<SegmentTimer> timers, long? cursor, IReadOnlyCollection<SegmentEmission> emissions)
    {
        if (changes.Count == 0 && timers.Count == 0 && cursor is null && emissions.Count == 0) return 0;
        _writer ??= new Writer(_database);
        try
        {
            return _writer.Commit(changes, timers, cursor, emissions);
        }
        catch
        {
            // The next commit starts over on a fresh connection (this one may be what failed).
            _writer.Dispose();
            _writer = null;
            throw;
        }
    }

    public void Dispose()
    {
        lock (_erasedGate)
        {
            _writer?.Dispose();
            _writer = null;
        }
    }

    /// <summary>
    /// The integer keys of persons and segments in the membership table, each found or added once per use (the caller's
    /// transaction on <c>connection</c> holds the rows it adds). <see cref="Clear"/> forgets the keys seen, so that none
    /// found in a transaction that rolled back is used after it.
    /// </summary>
    private sealed class Keys : IDisposable
    {
        private readonly RowStatement _findPerson;
        private readonly RowStatement _addPerson;
        private readonly RowStatement _findSegment;
        private readonly RowStatement _addSegment;
        private readonly Dictionary<(string App, string Person), long> _persons = [];
        private readonly Dictionary<(string App, string Segment), long> _segments = [];

        public Keys(SqliteConnection connection)
        {
            _findPerson = new RowStatement(connection, "SELECT key FROM segment_member_persons WHERE app_id = ?1 AND person_id = ?2");
            _addPerson = new RowStatement(connection, "INSERT INTO segment_member_persons (app_id, person_id) VALUES (?1, ?2)");
            _findSegment = new RowStatement(connection, "SELECT key FROM segment_member_segments WHERE app_id = ?1 AND segment_id = ?2");
            _addSegment = new RowStatement(connection, "INSERT INTO segment_member_segments (app_id, segment_id) VALUES (?1, ?2)");
        }

        public long Person(string app, string person)
        {
            if (_persons.TryGetValue((app, person), out long key)) return key;
            return _persons[(app, person)] = Find(_findPerson, _addPerson, app, person);
        }

        public long Segment(string app, string segment)
        {
            if (_segments.TryGetValue((app, segment), out long key)) return key;
            return _segments[(app, segment)] = Find(_findSegment, _addSegment, app, segment);
        }

        public void Clear()
        {
            _persons.Clear();
            _segments.Clear();
        }

        private static long Find(RowStatement find, RowStatement add, string app, string id)
        {
            if (find.Bind(1, app).Bind(2, id).RunForInt64() is { } key) return key;
            add.Bind(1, app).Bind(2, id).Run();
            return add.LastInsertRowId;
        }

        public void Dispose()
        {
            _findPerson.Dispose();
            _addPerson.Dispose();
            _findSegment.Dispose();
            _addSegment.Dispose();
        }
    }

    /// <summary>
    /// The connection every commit goes through (commits are serialised by the store's lock), kept open with its
    /// statements prepared and its page cache: a commit touches rows of persons all over the membership table, and
    /// a pooled connection's small cache read most of its pages again each time.
    /// </summary>
    private sealed class Writer : IDisposable
    {
        // Pages of this connection's cache, at most (SQLite's unit: negative is KiB); memory is taken as pages are read.
        private const int CacheKib = 65_536;

        private readonly SqliteConnection _connection;
        private readonly Keys _keys;
        private readonly RowStatement _enter;
        private readonly RowStatement _leave;
        private readonly RowStatement _history;
        private readonly RowStatement _setTimer;
        private readonly RowStatement _removeTimer;
        private readonly RowStatement _cursor;
        private readonly RowStatement _emit;

        public Writer(SqliteDatabase database)
        {
            _connection = database.Open();
            try
            {
                SqliteDatabase.Execute(_connection, $"PRAGMA cache_size = -{CacheKib}");
                _keys = new Keys(_connection);
                // One prepared statement per kind, run once per row with bound parameters (each row a primary-key search).
                _enter = new RowStatement(_connection, """
                    INSERT INTO segment_members (person_key, segment_key, entered_at) VALUES (?1, ?2, ?3)
                    ON CONFLICT (person_key, segment_key) DO NOTHING
                    """);
                _leave = new RowStatement(_connection, "DELETE FROM segment_members WHERE person_key = ?1 AND segment_key = ?2");
                _history = new RowStatement(_connection, """
                    INSERT INTO segment_member_history (app_id, segment_id, person_id, entered, at) VALUES (?1, ?2, ?3, ?4, ?5)
                    """);
                _setTimer = new RowStatement(_connection, """
                    INSERT INTO segment_timers (app_id, person_id, due_at) VALUES (?1, ?2, ?3)
                    ON CONFLICT (app_id, person_id) DO UPDATE SET due_at = excluded.due_at
                    """);
                _removeTimer = new RowStatement(_connection, "DELETE FROM segment_timers WHERE app_id = ?1 AND person_id = ?2");
                _emit = new RowStatement(_connection, """
                    INSERT INTO segment_emissions (app_id, person_id, segment_id, segment_name, entered, anonymous, identity, at)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                    """);
                _cursor = new RowStatement(_connection, """
                    INSERT INTO settings (name, value) VALUES ('segment_engine_cursor', ?1)
                    ON CONFLICT (name) DO UPDATE SET value = excluded.value
                    """);
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public long Commit(IReadOnlyCollection<SegmentMembershipChange> changes, IReadOnlyCollection<SegmentTimer> timers, long? cursor, IReadOnlyCollection<SegmentEmission> emissions)
        {
            using var transaction = _connection.BeginTransaction();
            if (changes.Count > 0)
            {
                // The changes of one commit folded per membership: a row is deleted when the membership was left at some
                // point in the commit, then inserted when it was entered after its last exit, with the time of the first
                // such entry (an entry of a membership already present keeps its time). That ends as applying the changes
                // one by one in order does, with one statement per membership that changed.
                var folded = new Dictionary<(string App, string Segment, string Person), (bool Delete, DateTimeOffset? Insert)>(changes.Count);
                foreach (var change in changes)
                {
                    var key = (change.AppId, change.SegmentId, change.PersonId);
                    var state = folded.GetValueOrDefault(key);
                    folded[key] = change.Entered ? (state.Delete, state.Insert ?? change.At) : (true, null);
                }

                // The keys of this commit's persons and segments, found (or added) once each per commit.
                _keys.Clear();
                foreach (var (key, state) in folded)
                {
                    long person = _keys.Person(key.App, key.Person), segment = _keys.Segment(key.App, key.Segment);
                    if (state.Delete) _leave.Bind(1, person).Bind(2, segment).Run();
                    if (state.Insert is { } at) _enter.Bind(1, person).Bind(2, segment).Bind(3, at.UtcTicks).Run();
                }

                foreach (var change in changes)
                {
                    _history.Bind(1, change.AppId).Bind(2, change.SegmentId).Bind(3, change.PersonId).Bind(4, change.Entered ? 1 : 0).Bind(5, change.At).Run();
                }
            }

            foreach (var timer in timers)
            {
                if (timer.DueAt is { } due) _setTimer.Bind(1, timer.AppId).Bind(2, timer.PersonId).Bind(3, due).Run();
                else _removeTimer.Bind(1, timer.AppId).Bind(2, timer.PersonId).Run();
            }

            long lastEmission = 0;
            foreach (var e in emissions)
            {
                _emit.Bind(1, e.AppId).Bind(2, e.PersonId).Bind(3, e.SegmentId).Bind(4, e.SegmentName).Bind(5, e.Entered ? 1 : 0)
                    .Bind(6, e.UserId is null ? 1 : 0).Bind(7, e.UserId ?? e.AnonymousId!).Bind(8, e.At.UtcTicks).Run();
                lastEmission = _emit.LastInsertRowId;
            }

            if (cursor is { } value) _cursor.Bind(1, value.ToString(CultureInfo.InvariantCulture)).Run();
            transaction.Commit();
            return lastEmission;
        }

        public void Dispose()
        {
            // Statements first: a connection with statements still prepared on it cannot close.
            _keys?.Dispose();
            _enter?.Dispose();
            _leave?.Dispose();
            _history?.Dispose();
            _setTimer?.Dispose();
            _removeTimer?.Dispose();
            _cursor?.Dispose();
            _emit?.Dispose();
            _connection.Dispose();
        }
    }

    public IReadOnlyList<SegmentTimer> DueTimers(DateTimeOffset now, int limit)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT app_id, person_id, due_at FROM segment_timers WHERE due_at <= $now ORDER BY due_at LIMIT $limit";
        command.Parameters.AddWithValue("$now", Text(now));
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        var result = new List<SegmentTimer>();
        while (reader.Read()) result.Add(new SegmentTimer(reader.GetString(0), reader.GetString(1), Time(reader.GetString(2))));
        return result;
    }

    public IReadOnlyList<SegmentMembershipChange> History(string appId, string personId)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT segment_id, entered, at FROM segment_member_history WHERE app_id = $app AND person_id = $person ORDER BY id";
        command.Parameters.AddWithValue("$app", appId);
        command.Parameters.AddWithValue("$person", personId);
        using var reader = command.ExecuteReader();
        var result = new List<SegmentMembershipChange>();
        while (reader.Read()) result.Add(new SegmentMembershipChange(appId, reader.GetString(0), personId, reader.GetInt64(1) == 1, Time(reader.GetString(2))));
        return result;
    }

    public IReadOnlyList<string> Persons(string appId)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT person_id FROM profiles WHERE app_id = $app ORDER BY person_id";
        command.Parameters.AddWithValue("$app", appId);
        using var reader = command.ExecuteReader();
        var result = new List<string>();
        while (reader.Read()) result.Add(reader.GetString(0));
        return result;
    }

    public IReadOnlyDictionary<(string AppId, string SegmentId), string> EvaluatedSegments()
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT app_id, segment_id, fingerprint FROM segment_engine_segments";
        using var reader = command.ExecuteReader();
        var result = new Dictionary<(string, string), string>();
        while (reader.Read()) result[(reader.GetString(0), reader.GetString(1))] = reader.GetString(2);
        return result;
    }

    public void MarkEvaluated(string appId, string segmentId, string? fingerprint)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = fingerprint is null
            ? "DELETE FROM segment_engine_segments WHERE app_id = $app AND segment_id = $segment"
            : """
              INSERT INTO segment_engine_segments (app_id, segment_id, fingerprint) VALUES ($app, $segment, $fingerprint)
              ON CONFLICT (app_id, segment_id) DO UPDATE SET fingerprint = excluded.fingerprint
              """;
        command.Parameters.AddWithValue("$app", appId);
        command.Parameters.AddWithValue("$segment", segmentId);
        command.Parameters.AddWithValue("$fingerprint", (object?)fingerprint ?? DBNull.Value);
        command.ExecuteNonQuery();
    }

    public void EndSegment(string appId, string segmentId, DateTimeOffset at)
    {
        var members = Members(appId, segmentId);
        Commit(members.Select(person => new SegmentMembershipChange(appId, segmentId, person, false, at)).ToList(), [], null);
    }

    public void Erase(string appId, string personId)
    {
        lock (_erasedGate)
        {
            // Remembered for this process's commits still in flight; a bounded set (the race is seconds long).
            if (_erased.Count >= MaxErasedRemembered) _erased.Clear();
            _erased.Add((appId, personId));
            EraseRows(appId, personId);
        }
    }

    private const int MaxErasedRemembered = 100_000;

    public bool WasErased(string appId, string personId)
    {
        lock (_erasedGate) return _erased.Contains((appId, personId));
    }

    private void EraseRows(string appId, string personId)
    {
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction();
        foreach (string sql in new[]
        {
            "DELETE FROM segment_members WHERE person_key = (SELECT key FROM segment_member_persons WHERE app_id = $app AND person_id = $person)",
            "DELETE FROM segment_member_persons WHERE app_id = $app AND person_id = $person",
            "DELETE FROM segment_member_history WHERE app_id = $app AND person_id = $person",
            "DELETE FROM segment_timers WHERE app_id = $app AND person_id = $person",
            "DELETE FROM segment_emissions WHERE app_id = $app AND person_id = $person",
        })
        {
            using var command = Command(connection, transaction, sql);
            command.Parameters["$app"].Value = appId;
            command.Parameters["$person"].Value = personId;
            command.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var name in new[] { "$app", "$segment", "$person", "$at", "$entered", "$due", "$value" })
        {
            if (sql.Contains(name, StringComparison.Ordinal)) command.Parameters.Add(name, SqliteType.Text);
        }

        return command;
    }

    private static string Text(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset Time(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
