using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using DuckDB.NET.Data;
using Lodestar.Analytics.Execution;
using Lodestar.Core.Profiles;
using Lodestar.Core.Segments;
using Microsoft.Extensions.Logging;

namespace Lodestar.Analytics.Segments;

/// <summary>
/// Mirrors an app's profiles into an in-memory DuckDB database as <see cref="SegmentTables"/>, classified through
/// <see cref="PersonFacts"/> and <see cref="SegmentValue"/> exactly as the in-memory evaluator sees them, rebuilt only
/// when profiles have changed since.
/// </summary>
public sealed partial class SegmentMirror(IProfileReader profiles, ILogger<SegmentMirror> logger)
{
    public const string Catalog = "lodestar_segments";

    private static readonly TechnologyField[] TechnologyFields = Enum.GetValues<TechnologyField>();

    private readonly ConcurrentDictionary<string, (long Version, SegmentTables Tables, long Persons)> _mirrors = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>The app's mirror tables, (re)built on this session's connection when stale.</summary>
    public SegmentTables Prepare(QuerySession session, string appId)
    {
        ArgumentNullException.ThrowIfNull(session);
        long version = profiles.Version;
        if (_mirrors.TryGetValue(appId, out var mirror) && mirror.Version == version) return mirror.Tables;
        lock (_gate)
        {
            if (_mirrors.TryGetValue(appId, out mirror) && mirror.Version == version) return mirror.Tables;
            session.NonQuery($"ATTACH IF NOT EXISTS ':memory:' AS {Catalog}");
            string stem = "s_" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(appId)), 0, 12).ToLowerInvariant();
            string persons = stem + "_p", values = stem + "_v";
            if (mirror.Tables is not null && mirror.Version < version
                && profiles.ChangesSince(appId, mirror.Version) is { } delta && delta.WorthFollowing(mirror.Persons))
            {
                long followed = Follow(session, persons, values, delta);
                LogFollowed(logger, appId, delta.Changed.Count, delta.Removed.Count);
                _mirrors[appId] = (version, mirror.Tables, followed);
                return mirror.Tables;
            }

            session.NonQuery($"""
                CREATE OR REPLACE TABLE {Catalog}.{persons}_next (pid VARCHAR, uid VARCHAR, sessions BIGINT);
                CREATE OR REPLACE TABLE {Catalog}.{values}_next (pid VARCHAR, name VARCHAR, item BOOLEAN, kind VARCHAR, s VARCHAR, n DOUBLE, b BOOLEAN, ts TIMESTAMP);
                """);
            long count = 0;
            using (var personRows = session.Connection.CreateAppender(Catalog, null, persons + "_next"))
            using (var valueRows = session.Connection.CreateAppender(Catalog, null, values + "_next"))
            {
                foreach (var profile in profiles.ReadAll(appId))
                {
                    AppendProfile(personRows, valueRows, profile);
                    count++;
                }
            }

            // Swap in one transaction so a query running on the old tables is never left without them.
            session.NonQuery($"""
                BEGIN TRANSACTION;
                DROP TABLE IF EXISTS {Catalog}.{persons};
                DROP TABLE IF EXISTS {Catalog}.{values};
                ALTER TABLE {Catalog}.{persons}_next RENAME TO {persons};
                ALTER TABLE {Catalog}.{values}_next RENAME TO {values};
                COMMIT;
                """);
            LogMirrored(logger, appId, count);
            var tables = new SegmentTables($"{Catalog}.{persons}", $"{Catalog}.{values}");
            _mirrors[appId] = (version, tables, count);
            return tables;
        }
    }

    [LoggerMessage(4101, LogLevel.Debug, "Mirrored the profiles of app {AppId} ({Persons} persons) for segments")]
    private static partial void LogMirrored(ILogger logger, string appId, long persons);

    [LoggerMessage(4102, LogLevel.Debug, "Brought the segment mirror of app {AppId} up to date ({Changed} persons saved, {Removed} removed)")]
    private static partial void LogFollowed(ILogger logger, string appId, int changed, int removed);

    /// <summary>
    /// Brings the mirror up to date with the persons saved or removed since it was built: their rows go, the saved
    /// ones' current rows come back, in one transaction (a query sees the mirror before or after, never half).
    /// </summary>
    private static long Follow(QuerySession session, string persons, string values, ProfileDelta<Profile> delta)
    {
        session.NonQuery($"""
            CREATE OR REPLACE TABLE {Catalog}.{persons}_delta (pid VARCHAR, uid VARCHAR, sessions BIGINT);
            CREATE OR REPLACE TABLE {Catalog}.{values}_delta (pid VARCHAR, name VARCHAR, item BOOLEAN, kind VARCHAR, s VARCHAR, n DOUBLE, b BOOLEAN, ts TIMESTAMP);
            CREATE OR REPLACE TABLE {Catalog}.{persons}_gone (pid VARCHAR);
            """);
        using (var gone = session.Connection.CreateAppender(Catalog, null, persons + "_gone"))
        {
            foreach (string personId in delta.Removed) gone.CreateRow().AppendValue(personId).EndRow();
            foreach (var profile in delta.Changed) gone.CreateRow().AppendValue(profile.PersonId).EndRow();
        }

        using (var personRows = session.Connection.CreateAppender(Catalog, null, persons + "_delta"))
        using (var valueRows = session.Connection.CreateAppender(Catalog, null, values + "_delta"))
        {
            foreach (var profile in delta.Changed) AppendProfile(personRows, valueRows, profile);
        }

        session.NonQuery($"""
            BEGIN TRANSACTION;
            DELETE FROM {Catalog}.{persons} WHERE pid IN (SELECT pid FROM {Catalog}.{persons}_gone);
            DELETE FROM {Catalog}.{values} WHERE pid IN (SELECT pid FROM {Catalog}.{persons}_gone);
            INSERT INTO {Catalog}.{persons} SELECT * FROM {Catalog}.{persons}_delta;
            INSERT INTO {Catalog}.{values} SELECT * FROM {Catalog}.{values}_delta;
            COMMIT;
            DROP TABLE {Catalog}.{persons}_delta;
            DROP TABLE {Catalog}.{values}_delta;
            DROP TABLE {Catalog}.{persons}_gone;
            """);
        return Convert.ToInt64(session.Scalar($"SELECT count(*) FROM {Catalog}.{persons}"), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>One person's row and attribute rows, as the in-memory evaluator sees the profile.</summary>
    private static void AppendProfile(DuckDBAppender personRows, DuckDBAppender valueRows, Profile profile)
    {
        var facts = PersonFacts.From(profile, []);
        personRows.CreateRow().AppendValue(facts.PersonId).AppendValue(profile.DisplayId).AppendValue((long)facts.Sessions).EndRow();
        foreach (var (name, node) in facts.Attributes) Append(valueRows, facts.PersonId, name, SegmentValue.From(node));
        Append(valueRows, facts.PersonId, AttributeCondition.FirstSeen, facts.Attribute(AttributeCondition.FirstSeen));
        Append(valueRows, facts.PersonId, AttributeCondition.LastActive, facts.Attribute(AttributeCondition.LastActive));
        foreach (var field in TechnologyFields)
        {
            string fieldName = field.ToString();
            Append(valueRows, facts.PersonId, SegmentTables.TechnologyPrefix + char.ToLowerInvariant(fieldName[0]) + fieldName[1..],
                SegmentValue.OfString(facts.Technology.Get(field)));
        }

        Append(valueRows, facts.PersonId, SegmentTables.AppVersionKey, SegmentValue.OfString(AppVersionOrder.Key(facts.Technology.AppVersion)));
    }

    private static void Append(DuckDBAppender rows, string personId, string name, SegmentValue value)
    {
        if (value.IsUnset) return;
        Row(rows, personId, name, false, value);
        if (value.Kind != SegmentValueKind.List) return;
        foreach (var item in value.Items)
        {
            if (!item.IsUnset) Row(rows, personId, name, true, item);
        }
    }

    private static void Row(DuckDBAppender rows, string personId, string name, bool item, SegmentValue value)
    {
        var row = rows.CreateRow().AppendValue(personId).AppendValue(name).AppendValue(item).AppendValue(Kind(value.Kind));
        row = value.Kind == SegmentValueKind.String ? row.AppendValue(value.Text) : row.AppendNullValue();
        row = value.Kind == SegmentValueKind.Number ? row.AppendValue(value.Number) : row.AppendNullValue();
        row = value.Kind == SegmentValueKind.Boolean ? row.AppendValue(value.Bool) : row.AppendNullValue();
        row = !item && value.Date is { } date ? row.AppendValue(date.UtcDateTime) : row.AppendNullValue();
        row.EndRow();
    }

    private static string Kind(SegmentValueKind kind) => kind switch
    {
        SegmentValueKind.String => "string",
        SegmentValueKind.Number => "number",
        SegmentValueKind.Boolean => "boolean",
        SegmentValueKind.List => "list",
        _ => "object",
    };
}
