using System.Globalization;
using System.IO.Hashing;
using System.Text;
using DuckDB.NET.Data;
using Lodestar.Core.Events;

namespace Lodestar.Storage.DuckDb;

/// <summary>
/// Event contexts stored once per distinct text: <c>contexts (id, text)</c>, and <c>events.context_id</c> naming the row.
/// </summary>
/// <remarks>
/// A device sends the same <c>context</c> (device, os, app, locale, ip …) with every event; stored per event, that text
/// was most of what DuckDB compressed at its checkpoints. The writer keeps a bounded map of the contexts it wrote
/// lately, from a seeded 128-bit hash of the text's UTF-8 bytes to the id, so a repeated context costs one hash of its
/// bytes, one look-up and an integer, and the map holds no text; a context not in the map (new, or evicted)
/// gets a new row, so a text may have more than one id, which no reader can tell (they join on the id). New rows are
/// appended in the transaction of the events naming them, so a crash keeps both or neither. Readers see the text
/// through <see cref="EventsWithContext"/>; erasing a person's events erases the contexts no other event names.
/// </remarks>
public sealed partial class DuckDbEventStore
{
    /// <summary>The table of distinct contexts.</summary>
    public const string ContextsTable = "contexts";

    /// <summary>
    /// The events (alias <c>e</c>) with their context text as <c>c.text</c>: <c>FROM {EventsWithContext}</c>.
    /// </summary>
    public const string EventsWithContext = "events e LEFT JOIN contexts c ON c.id = e.context_id";

    // The writer's map of recent contexts holds at most this many (about 40 bytes each).
    private const int ContextMapEntries = 1 << 20;

    // Hash of a context's UTF-8 bytes → its id. Seeded per open (the map is rebuilt at open), so texts cannot be made
    // to collide from outside; without the seed two distinct texts would need the same 128-bit hash by chance.
    private readonly Dictionary<UInt128, long> _contextIds = [];
    private readonly long _contextSeed = Random.Shared.NextInt64();
    private long _lastContextId;

    // The last context the writer resolved, and its id: consecutive events of a device usually carry the very same text.
    private readonly LastText _lastContext = new();
    private long _lastResolvedContextId;

    private void OpenContexts()
    {
        Execute(_writer, $"CREATE TABLE IF NOT EXISTS {ContextsTable} (id BIGINT NOT NULL, text VARCHAR NOT NULL)");
        MigrateContexts();
        LoadContexts();
    }

    /// <summary>
    /// A data file written when events carried their <c>context</c> text: every distinct text becomes a row of
    /// <c>contexts</c>, and <c>events</c> is rewritten with <c>context_id</c> in the column's place (so the appender's
    /// column order is the same as in a new file), in one transaction.
    /// </summary>
    private void MigrateContexts()
    {
        var columns = new List<(string Name, string Type, bool Nullable)>();
        using (var command = _writer.CreateCommand())
        {
            command.CommandText = """
                SELECT column_name, data_type, is_nullable FROM duckdb_columns()
                WHERE schema_name = 'main' AND table_name = 'events' ORDER BY column_index
                """;
            using var reader = command.ExecuteReader();
            while (reader.Read()) columns.Add((reader.GetString(0), reader.GetString(1), reader.GetBoolean(2)));
        }

        if (!columns.Exists(c => c.Name == "context")) return;
        var definitions = new StringBuilder();
        var values = new StringBuilder();
        foreach (var (name, type, nullable) in columns)
        {
            if (definitions.Length > 0)
            {
                definitions.Append(", ");
                values.Append(", ");
            }

            if (name == "context")
            {
                definitions.Append("context_id BIGINT");
                values.Append("c.id");
            }
            else
            {
                string quoted = "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
                definitions.Append(CultureInfo.InvariantCulture, $"{quoted} {type}{(nullable ? "" : " NOT NULL")}");
                values.Append(CultureInfo.InvariantCulture, $"e.{quoted}");
            }
        }

        Execute(_writer, $"""
            BEGIN TRANSACTION;
            INSERT INTO {ContextsTable}
                SELECT coalesce((SELECT max(id) FROM {ContextsTable}), 0) + row_number() OVER (ORDER BY text), text
                FROM (SELECT DISTINCT context AS text FROM events WHERE context IS NOT NULL);
            CREATE TABLE events_migrating ({definitions});
            INSERT INTO events_migrating
                SELECT {values} FROM events e LEFT JOIN {ContextsTable} c ON c.text = e.context ORDER BY e.seq;
            DROP TABLE events;
            ALTER TABLE events_migrating RENAME TO events;
            COMMIT;
            """);
        Execute(_writer, "CHECKPOINT");
    }

    /// <summary>Fills the map with the newest contexts, up to its budget.</summary>
    private void LoadContexts()
    {
        using var command = _writer.CreateCommand();
        command.CommandText = $"SELECT id, text FROM {ContextsTable} ORDER BY id DESC";
        using var reader = command.ExecuteReader();
        bool first = true;
        while (reader.Read())
        {
            long id = reader.GetInt64(0);
            if (first) _lastContextId = id;
            first = false;
            if (_contextIds.Count >= ContextMapEntries) break;
            _contextIds.TryAdd(ContextKey(Encoding.UTF8.GetBytes(reader.GetString(1))), id);
        }
    }

    private UInt128 ContextKey(ReadOnlySpan<byte> utf8) => XxHash128.HashToUInt128(utf8, _contextSeed);

    /// <summary>
    /// The id of a context text: from the map, from <paramref name="fresh"/> (new in this batch), or a new id added to
    /// <paramref name="fresh"/> (its row is written by <see cref="AppendContexts"/>, in the same transaction).
    /// </summary>
    private long? ContextIdOf(Utf8Text text, Dictionary<UInt128, (long Id, string Text)> fresh)
    {
        if (text.IsNull) return null;
        var bytes = text.Bytes;
        if (_lastContext.Is(bytes)) return _lastResolvedContextId;
        var key = ContextKey(bytes);
        if (!_contextIds.TryGetValue(key, out long id))
        {
            if (fresh.TryGetValue(key, out var added)) id = added.Id;
            else fresh[key] = (id = ++_lastContextId, Encoding.UTF8.GetString(bytes));
        }

        _lastContext.Set(bytes);
        _lastResolvedContextId = id;
        return id;
    }

    /// <summary>Writes the new contexts' rows on the writer (inside the caller's transaction).</summary>
    private void AppendContexts(Dictionary<UInt128, (long Id, string Text)> fresh)
    {
        if (fresh.Count == 0) return;
        using var appender = _writer.CreateAppender(ContextsTable);
        foreach (var (id, text) in fresh.Values) appender.CreateRow().AppendValue(id).AppendValue(text).EndRow();
    }

    /// <summary>After the commit: the new contexts join the map (emptied first when it is full).</summary>
    private void RememberContexts(Dictionary<UInt128, (long Id, string Text)> fresh)
    {
        foreach (var (key, (id, _)) in fresh)
        {
            if (_contextIds.Count >= ContextMapEntries) _contextIds.Clear();
            _contextIds[key] = id;
        }
    }

    /// <summary>After a failed transaction: forget what it resolved (its new ids were never written).</summary>
    private void ForgetLastContext()
    {
        _lastContext.Clear();
        _lastResolvedContextId = 0;
    }

    /// <summary>
    /// Deletes the contexts among <paramref name="ids"/> that no event names any more (on <paramref name="connection"/>,
    /// in its transaction), and drops them from the writer's map; the caller holds the writer's lock.
    /// </summary>
    private void DeleteUnusedContexts(DuckDBConnection connection, HashSet<long> ids)
    {
        if (ids.Count == 0) return;
        string list = string.Join(", ", ids.Select(id => id.ToString(CultureInfo.InvariantCulture)));
        using (var command = connection.CreateCommand())
        {
            command.CommandText = $"""
                DELETE FROM {ContextsTable} WHERE id IN ({list})
                  AND id NOT IN (SELECT context_id FROM events WHERE context_id IN ({list}))
                """;
            command.ExecuteNonQuery();
        }

        // Entries naming a deleted row must not be handed out again; an id still in use may stay, but dropping every
        // id of the set is simpler and only costs a new row for a context seen again.
        foreach (var key in _contextIds.Where(c => ids.Contains(c.Value)).Select(c => c.Key).ToList()) _contextIds.Remove(key);

        ForgetLastContext();
    }
}
