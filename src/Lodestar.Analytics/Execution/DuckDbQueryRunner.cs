using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lodestar.Analytics.Planning;
using Lodestar.Analytics.Sql;
using Lodestar.Core.Events;
using Lodestar.Core.Profiles;
using Lodestar.Storage.DuckDb;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Lodestar.Analytics.Execution;

/// <summary>
/// Runs analytics statements on a connection of its own, and interrupts the statement when it outlives the time limit
/// or the caller gives up. Person attributes (kept in the state store) are mirrored into an in-memory DuckDB database,
/// one table per attribute, rebuilt only when profiles have changed since it was built.
/// </summary>
public sealed partial class DuckDbQueryRunner(
    DuckDbEventStore store, IProfileAttributeReader attributes, IEventDefinitionStore definitions,
    ILogger<DuckDbQueryRunner> logger, Segments.SegmentQueryTables? segments = null, AutoMaterializer? autoMaterializer = null)
{
    public const string MirrorCatalog = "lodestar_attributes";

    private readonly ConcurrentDictionary<(string App, string Name), (long Version, string Table, long Persons)> _mirrors = new();
    private readonly Lock _mirrorGate = new();
    private bool _attached;

    /// <summary>The event names of each app, for statements that number them (paths).</summary>
    public EventNameCatalog EventNames { get; } = new();

    /// <param name="segmentFilter">A saved segment's id: only its members' events count.</param>
    public async Task<T> RunAsync<T>(
        string appId, IEnumerable<FieldRef?> fields, TimeSpan timeout, Func<QuerySession, SqlScope, T> work, CancellationToken cancellationToken,
        string? segmentFilter = null)
    {
        // The limit is kept by the watchdog's own thread: a token source's delay fires through the thread pool, late when
        // the pool's threads are all blocked.
        using var timeoutSource = new CancellationTokenSource();
        using var deadline = WatchdogTimer.Start(timeout, timeoutSource.Cancel);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeoutSource.Token, cancellationToken);
        var token = linked.Token;
        token.ThrowIfCancellationRequested();
        try
        {
            return await Task.Run(() =>
            {
                using var threads = store.UseQueryThreads();
                using var connection = store.OpenConnection();
                using var session = new QuerySession(connection, token);
                using var registration = token.Register(session.Cancel);
                try
                {
                    var used = fields.OfType<FieldRef>().ToList();
                    var properties = used.Where(f => !f.IsAttribute).Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
                    var scope = Prepare(session, appId, used.Where(f => f.IsAttribute).Select(f => f.Name).Distinct().ToList(), segmentFilter);
                    autoMaterializer?.Used(appId, properties, scope.Materialized.Keys.ToList());
                    // Only the materialized columns this query reads: a query that reads none reads the bare events table,
                    // not the union of the filled and unfilled ranges (a property left out here is read from the JSON:
                    // the same answer).
                    scope = scope with { Materialized = scope.Materialized.Where(m => properties.Contains(m.Key)).ToDictionary(StringComparer.Ordinal) };
                    return work(session, scope);
                }
                catch (Exception) when (token.IsCancellationRequested)
                {
                    throw new OperationCanceledException(token);
                }
            }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeoutSource.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            LogTimedOut(logger, appId, timeout.TotalSeconds);
            throw new QueryTimeoutException(timeout);
        }
    }

    [LoggerMessage(4001, LogLevel.Warning, "An analytics query of app {AppId} ran past its limit of {Seconds} s and was interrupted")]
    private static partial void LogTimedOut(ILogger logger, string appId, double seconds);

    [LoggerMessage(4002, LogLevel.Debug, "Mirrored attribute {Attribute} of app {AppId} ({Persons} persons) into DuckDB")]
    private static partial void LogMirrored(ILogger logger, string attribute, string appId, long persons);

    [LoggerMessage(4003, LogLevel.Debug, "Brought the mirror of attribute {Attribute} of app {AppId} up to date ({Changed} persons saved, {Removed} removed)")]
    private static partial void LogMirrorFollowed(ILogger logger, string attribute, string appId, int changed, int removed);

    private SqlScope Prepare(QuerySession session, string appId, List<string> attributeNames, string? segmentFilter)
    {
        bool overrides = session.Scalar($"SELECT EXISTS (SELECT 1 FROM person_overrides WHERE app_id = {DuckDbDialect.Text(appId)})") is true;
        var weights = definitions.List(appId).ToDictionary(d => d.Name, d => d.Weight, StringComparer.Ordinal);
        var tables = new Dictionary<string, string>(StringComparer.Ordinal);
        var bare = new SqlScope(appId, overrides, tables, weights) { Materialized = MaterializedColumns(session, appId) };
        if (attributeNames.Count > 0)
        {
            long version = attributes.Version;
            foreach (string name in attributeNames)
            {
                tables[name] = name.StartsWith(QueryPlanner.SegmentField, StringComparison.Ordinal)
                    ? Segments("breakdown.segment").Breakdown(session, bare, name[QueryPlanner.SegmentField.Length..], "lodestar_segment_breakdown")
                    : Mirror(session, appId, name, version);
            }
        }

        return segmentFilter is null
            ? bare
            : bare with { PersonFilter = Segments("segment").Members(session, bare, segmentFilter, "segment", "lodestar_segment_filter") };
    }

    /// <summary>The app's materialized properties (also those not filled yet, with watermark 0).</summary>
    private static Dictionary<string, MaterializedColumn> MaterializedColumns(QuerySession session, string appId)
    {
        var columns = new Dictionary<string, MaterializedColumn>(StringComparer.Ordinal);
        using var reader = session.Execute(
            $"SELECT property, column_name, filled_to FROM {DuckDbEventStore.MaterializedTable} WHERE app_id = {DuckDbDialect.Text(appId)}");
        while (reader.Read()) columns[reader.GetString(0)] = new MaterializedColumn(reader.GetString(1), reader.GetInt64(2));
        return columns;
    }

    private Segments.SegmentQueryTables Segments(string field) =>
        segments ?? throw new QueryValidationException(field, $"{field}: segments are not available in this host.");

    /// <summary>The mirror table of one attribute, (re)built when the profiles changed since.</summary>
    private string Mirror(QuerySession session, string appId, string name, long version)
    {
        if (_mirrors.TryGetValue((appId, name), out var mirror) && mirror.Version == version) return mirror.Table;
        lock (_mirrorGate)
        {
            if (_mirrors.TryGetValue((appId, name), out mirror) && mirror.Version == version) return mirror.Table;
            if (!_attached)
            {
                // Attached databases belong to the DuckDB instance, so every connection sees the mirrors.
                session.NonQuery($"ATTACH IF NOT EXISTS ':memory:' AS {MirrorCatalog}");
                _attached = true;
            }

            if (mirror.Table is not null && mirror.Version < version
                && attributes.ChangesSince(appId, [name], mirror.Version) is { } delta && delta.WorthFollowing(mirror.Persons))
            {
                long followed = Follow(session, mirror.Table, delta);
                LogMirrorFollowed(logger, name, appId, delta.Changed.Count, delta.Removed.Count);
                _mirrors[(appId, name)] = (version, mirror.Table, followed);
                return mirror.Table;
            }

            string table = "a_" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(appId + "\n" + name)), 0, 12).ToLowerInvariant();
            string building = table + "_next";
            session.NonQuery($"CREATE OR REPLACE TABLE {MirrorCatalog}.{building} (pid VARCHAR, v VARCHAR)");
            long persons = 0;
            using (var appender = session.Connection.CreateAppender(MirrorCatalog, null, building))
            {
                foreach (var (personId, values) in attributes.Read(appId, [name]))
                {
                    if (AsText(values[0]) is not { } text) continue;
                    appender.CreateRow().AppendValue(personId).AppendValue(text).EndRow();
                    persons++;
                }
            }

            LogMirrored(logger, name, appId, persons);

            // Swap in one statement so a query running on the old table is never left without one.
            session.NonQuery($"""
                BEGIN TRANSACTION;
                DROP TABLE IF EXISTS {MirrorCatalog}.{table};
                ALTER TABLE {MirrorCatalog}.{building} RENAME TO {table};
                COMMIT;
                """);
            string qualified = $"{MirrorCatalog}.{table}";
            _mirrors[(appId, name)] = (version, qualified, persons);
            return qualified;
        }
    }

    /// <summary>
    /// Brings a mirror up to date with the persons saved or removed since it was built: their rows go, the saved ones'
    /// current values come back, in one transaction (a query on the mirror sees it before or after, never half).
    /// </summary>
    private static long Follow(QuerySession session, string table, ProfileDelta<(string PersonId, JsonNode?[] Values)> delta)
    {
        string staging = table + "_delta";
        session.NonQuery($"CREATE OR REPLACE TABLE {staging} (pid VARCHAR, v VARCHAR)");
        using (var appender = session.Connection.CreateAppender(MirrorCatalog, null, staging[(MirrorCatalog.Length + 1)..]))
        {
            // Removed persons only lose their row; saved ones (also those removed and saved again) get their value back.
            foreach (string personId in delta.Removed) appender.CreateRow().AppendValue(personId).AppendNullValue().EndRow();
            foreach (var (personId, values) in delta.Changed)
            {
                var row = appender.CreateRow().AppendValue(personId);
                (AsText(values[0]) is { } text ? row.AppendValue(text) : row.AppendNullValue()).EndRow();
            }
        }

        session.NonQuery($"""
            BEGIN TRANSACTION;
            DELETE FROM {table} WHERE pid IN (SELECT pid FROM {staging});
            INSERT INTO {table} SELECT pid, v FROM {staging} WHERE v IS NOT NULL;
            COMMIT;
            DROP TABLE {staging};
            """);
        return Convert.ToInt64(session.Scalar($"SELECT count(*) FROM {table}"), CultureInfo.InvariantCulture);
    }

    /// <summary>The attribute as SQL compares it: strings unquoted, numbers and booleans as JSON text, lists as JSON.</summary>
    public static string? AsText(JsonNode? value) => value switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Null => null,
        _ => value.ToJsonString(),
    };
}
