using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DuckDB.NET.Data;

namespace Lodestar.Storage.DuckDb;

/// <summary>
/// Materialized property columns: an app's JSON event property stored as an INTEGER id into a per-property table of
/// its distinct texts (<see cref="ValuesTableOf"/>, <c>(id, v)</c>), so that breakdowns group by a small integer and
/// filters read a column instead of parsing the JSON text of millions of rows.
/// </summary>
/// <remarks>
/// The column's id maps to exactly <c>json_extract_string(properties, '$."name"')</c> (the very expression every reader
/// uses; NULL, for a missing key or a JSON null, stays NULL and has no id) for the app's events with <c>seq</c> up to a
/// watermark (<c>materialized_properties.filled_to</c>); readers take the column below the watermark and the JSON above
/// it, so the answer is the same whatever the fill's progress. A background fill (<see cref="FillMaterialized"/>)
/// advances the watermark in slices: each slice's new texts get the next ids, its rows their ids, and the new watermark
/// is written, in one transaction: a crash loses at most the slice in progress, and a restart resumes from the
/// committed watermark. An id, once given, keeps its text (texts are only added; a text no event references any more is
/// forgotten after a person's deletion, and a later fill gives it a new id). Appends are untouched (the writer writes
/// NULL into the column): rows above the watermark are read from the JSON until the fill reaches them. Events are never
/// updated, only deleted (<see cref="DeletePerson"/>), and deleting a row deletes its id with it; merges touch only the
/// override tables. Columns of the earlier form (VARCHAR holding the text) are replaced at open and filled again.
/// </remarks>
public sealed partial class DuckDbEventStore
{
    /// <summary>The table of materialized properties (app, property, column, watermark).</summary>
    public const string MaterializedTable = "materialized_properties";

    private const string ColumnPrefix = "mp_";

    // Serialises the fill's UPDATEs with deletes and with adding columns (DuckDB would fail one of two transactions
    // touching the same rows).
    private readonly Lock _fillGate = new();

    // How many materialized columns events has (after the others): the appender writes NULL into each.
    private int _materializedColumns;

    /// <summary>The column a property materializes into (shared by the apps that materialize a property of that name).</summary>
    public static string ColumnOf(string property) =>
        ColumnPrefix + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(property)), 0, 8).ToLowerInvariant();

    /// <summary>The table of a materialized column's texts, <c>(id INTEGER, v VARCHAR)</c>: the text of every id the column holds.</summary>
    public static string ValuesTableOf(string column) => column + "_values";

    /// <summary>The JSON path readers extract a property with (<c>$."name"</c>), as a SQL string literal.</summary>
    public static string PropertyPath(string property) => Literal("$.\"" + property + "\"");

    /// <summary>A SQL string literal of the text (quotes doubled): every literal the store and the dialect inline.</summary>
    public static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>Creates the table of materialized properties; drops columns no app materializes any more.</summary>
    private void OpenMaterialized()
    {
        Execute(_writer, $"""
            CREATE TABLE IF NOT EXISTS {MaterializedTable} (
                app_id VARCHAR NOT NULL,
                property VARCHAR NOT NULL,
                column_name VARCHAR NOT NULL,
                filled_to BIGINT NOT NULL,
                auto BOOLEAN NOT NULL,
                created_at TIMESTAMP NOT NULL
            )
            """);
        // Unmaterializing only forgets the watermark (a query may still be reading the column); the column goes here,
        // at open, when nothing can be reading it.
        var unused = new List<string>();
        using (var command = _writer.CreateCommand())
        {
            command.CommandText = $"""
                SELECT column_name FROM duckdb_columns()
                WHERE schema_name = 'main' AND table_name = 'events' AND starts_with(column_name, '{ColumnPrefix}')
                  AND column_name NOT IN (SELECT column_name FROM {MaterializedTable})
                """;
            using var reader = command.ExecuteReader();
            while (reader.Read()) unused.Add(reader.GetString(0));
        }

        foreach (string column in unused) Execute(_writer, $"ALTER TABLE events DROP COLUMN \"{column}\"; DROP TABLE IF EXISTS \"{ValuesTableOf(column)}\"");
        MigrateTextColumns();
        _materializedColumns = CountMaterializedColumns();
    }

    /// <summary>
    /// Columns of the earlier form (VARCHAR holding the text) become INTEGER id columns, empty, with their watermarks
    /// back at 0, in one transaction per column: readers take the JSON until the fill has filled them again (the same
    /// answers meanwhile, slower).
    /// </summary>
    private void MigrateTextColumns()
    {
        var text = new List<string>();
        using (var command = _writer.CreateCommand())
        {
            command.CommandText = $"""
                SELECT column_name FROM duckdb_columns()
                WHERE schema_name = 'main' AND table_name = 'events' AND starts_with(column_name, '{ColumnPrefix}') AND data_type <> 'INTEGER'
                ORDER BY column_index
                """;
            using var reader = command.ExecuteReader();
            while (reader.Read()) text.Add(reader.GetString(0));
        }

        foreach (string column in text)
        {
            // Dropped and added again, so the materialized columns stay the last ones (the appender writes them by position).
            Execute(_writer, $"""
                BEGIN TRANSACTION;
                ALTER TABLE events DROP COLUMN "{column}";
                ALTER TABLE events ADD COLUMN "{column}" INTEGER;
                {CreateValuesTable(column)};
                UPDATE {MaterializedTable} SET filled_to = 0 WHERE column_name = '{column}';
                COMMIT;
                """);
        }
    }

    private static string CreateValuesTable(string column) =>
        $"CREATE TABLE IF NOT EXISTS \"{ValuesTableOf(column)}\" (id INTEGER PRIMARY KEY, v VARCHAR NOT NULL UNIQUE)";

    private int CountMaterializedColumns()
    {
        using var command = _writer.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = 'events' AND starts_with(column_name, '{ColumnPrefix}')";
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Materializes <paramref name="property"/> of the app: adds its column when no app has it yet and records it with
    /// watermark 0 (the background fill does the rest). Returns the existing record when it is materialized already.
    /// </summary>
    public (MaterializedProperty Property, bool Created) Materialize(string appId, string property, bool auto, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrEmpty(appId);
        ArgumentException.ThrowIfNullOrEmpty(property);
        // The writer's lock keeps appends out while the column is added; the fill's lock keeps the fill's UPDATEs out.
        lock (_keyGate)
        lock (_fillGate)
        {
            if (FindMaterialized(appId, property) is { } existing) return (existing, false);
            string column = ColumnOf(property);
            using (var probe = _writer.CreateCommand())
            {
                probe.CommandText = $"SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = 'events' AND column_name = '{column}'";
                if (Convert.ToInt64(probe.ExecuteScalar(), CultureInfo.InvariantCulture) == 0)
                {
                    Execute(_writer, $"ALTER TABLE events ADD COLUMN \"{column}\" INTEGER");
                    _materializedColumns = CountMaterializedColumns();
                }
            }

            Execute(_writer, CreateValuesTable(column));

            using var insert = _writer.CreateCommand();
            insert.CommandText = $"INSERT INTO {MaterializedTable} VALUES ($1, $2, $3, 0, $4, $5)";
            insert.Parameters.Add(new DuckDBParameter(appId));
            insert.Parameters.Add(new DuckDBParameter(property));
            insert.Parameters.Add(new DuckDBParameter(column));
            insert.Parameters.Add(new DuckDBParameter(auto));
            insert.Parameters.Add(new DuckDBParameter(now.UtcDateTime));
            insert.ExecuteNonQuery();
            return (new MaterializedProperty(appId, property, column, 0, auto, now), true);
        }
    }

    /// <summary>Stops using the column for the app's property (readers go back to the JSON). False when it was not materialized.</summary>
    public bool Unmaterialize(string appId, string property)
    {
        lock (_fillGate)
        {
            using var command = _writer.CreateCommand();
            command.CommandText = $"DELETE FROM {MaterializedTable} WHERE app_id = $1 AND property = $2";
            command.Parameters.Add(new DuckDBParameter(appId));
            command.Parameters.Add(new DuckDBParameter(property));
            return command.ExecuteNonQuery() > 0;
        }
    }

    /// <summary>The app's materialized properties (all apps' when <paramref name="appId"/> is null), by property name.</summary>
    public IReadOnlyList<MaterializedProperty> MaterializedProperties(string? appId = null)
    {
        using var connection = OpenConnection();
        return ReadMaterialized(connection, appId, null);
    }

    private MaterializedProperty? FindMaterialized(string appId, string property) =>
        ReadMaterialized(_writer, appId, property) is [var found] ? found : null;

    private static List<MaterializedProperty> ReadMaterialized(DuckDBConnection connection, string? appId, string? property)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT app_id, property, column_name, filled_to, auto, created_at FROM {MaterializedTable}
            WHERE ($1::VARCHAR IS NULL OR app_id = $1) AND ($2::VARCHAR IS NULL OR property = $2)
            ORDER BY app_id, property
            """;
        command.Parameters.Add(new DuckDBParameter((object?)appId ?? DBNull.Value));
        command.Parameters.Add(new DuckDBParameter((object?)property ?? DBNull.Value));
        using var reader = command.ExecuteReader();
        var list = new List<MaterializedProperty>();
        while (reader.Read())
        {
            list.Add(new MaterializedProperty(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetBoolean(4),
                AsUtc(reader.GetDateTime(5))));
        }

        return list;
    }

    /// <summary>
    /// Fills one slice of one materialized property that is behind the newest event: the app's events with
    /// <c>seq</c> in (watermark, watermark + <paramref name="sliceSequences"/>], capped at the newest committed event,
    /// and the new watermark, in one transaction. Returns the property and the new watermark, or null when every
    /// materialized property is filled up to the newest event.
    /// </summary>
    /// <remarks>
    /// The cap is the largest <c>seq</c> in the fill's own snapshot: the single writer appends in <c>seq</c> order and
    /// commits in that order, so every event at or below it is visible to the UPDATE, and an event appended later has
    /// a larger <c>seq</c> (it stays above the watermark and is read from the JSON until the next slice).
    /// </remarks>
    public (MaterializedProperty Property, long FilledTo)? FillMaterialized(long sliceSequences)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sliceSequences, 1);
        lock (_fillGate)
        {
            using var connection = OpenConnection();
            Execute(connection, "BEGIN TRANSACTION");
            try
            {
                var materialized = ReadMaterialized(connection, null, null);
                long newest = 0;
                if (materialized.Count > 0)
                {
                    using var max = connection.CreateCommand();
                    max.CommandText = "SELECT coalesce(max(seq), 0) FROM events";
                    newest = Convert.ToInt64(max.ExecuteScalar(), CultureInfo.InvariantCulture);
                }

                var behind = materialized.Where(p => p.FilledTo < newest).MinBy(p => p.FilledTo);
                if (behind is null)
                {
                    Execute(connection, "COMMIT");
                    return null;
                }

                long to = Math.Min(newest, behind.FilledTo + sliceSequences);
                string app = Literal(behind.AppId);
                string from = behind.FilledTo.ToString(CultureInfo.InvariantCulture), upTo = to.ToString(CultureInfo.InvariantCulture);
                string path = PropertyPath(behind.Property), values = $"\"{ValuesTableOf(behind.Column)}\"";
                // The bounds are inlined so DuckDB prunes row groups by their seq min/max. The slice's new texts get the
                // next ids (in text order), then every row of the slice the id of its text (NULL for none: whatever the
                // column held before, as after a crash between a slice's rows and its watermark, is overwritten).
                Execute(connection, $"""
                    INSERT INTO {values} (id, v)
                    SELECT ((SELECT coalesce(max(id), 0) FROM {values}) + row_number() OVER (ORDER BY n.v))::INTEGER, n.v
                    FROM (SELECT DISTINCT json_extract_string(properties, {path}) AS v FROM events WHERE app_id = {app} AND seq > {from} AND seq <= {upTo}) n
                    WHERE n.v IS NOT NULL AND n.v NOT IN (SELECT v FROM {values});
                    UPDATE events SET "{behind.Column}" = (SELECT d.id FROM {values} d WHERE d.v = json_extract_string(events.properties, {path}))
                    WHERE events.app_id = {app} AND events.seq > {from} AND events.seq <= {upTo};
                    UPDATE {MaterializedTable} SET filled_to = {upTo}
                    WHERE app_id = {app} AND property = {Literal(behind.Property)} AND filled_to = {from};
                    """);
                Execute(connection, "COMMIT");
                return (behind, to);
            }
            catch
            {
                Execute(connection, "ROLLBACK");
                throw;
            }
        }
    }

    /// <summary>
    /// Forgets the texts of materialized columns that no event references any more (after a person's events were
    /// deleted, so that no property text of theirs outlives them in a value table). Ids still referenced keep their text.
    /// </summary>
    private void ForgetUnreferencedValues()
    {
        // Not on the writer's connection: appends may be using it.
        using var connection = OpenConnection();
        var columns = new List<string>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = $"SELECT column_name FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = 'events' AND starts_with(column_name, '{ColumnPrefix}') AND data_type = 'INTEGER'";
            using var reader = command.ExecuteReader();
            while (reader.Read()) columns.Add(reader.GetString(0));
        }

        foreach (string column in columns)
            Execute(connection, $"DELETE FROM \"{ValuesTableOf(column)}\" WHERE id NOT IN (SELECT \"{column}\" FROM events WHERE \"{column}\" IS NOT NULL)");
    }
}
