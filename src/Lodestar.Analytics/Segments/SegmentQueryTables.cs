using Lodestar.Analytics.Execution;
using Lodestar.Analytics.Planning;
using Lodestar.Analytics.Sql;
using Lodestar.Core.Segments;

namespace Lodestar.Analytics.Segments;

/// <summary>
/// Saved segments inside analytics queries: the members now, written into a temporary table of the query's connection,
/// as a filter (only members' events count) or a breakdown (<c>member</c> / <c>not member</c> per person).
/// </summary>
public sealed class SegmentQueryTables(ISegmentStore store, SegmentMirror mirror, TimeProvider time)
{
    public const string Member = "member";
    public const string NotMember = "not member";

    /// <summary>A temporary table <c>(pid)</c> of the segment's members; <paramref name="field"/> names the query field in errors.</summary>
    public string Members(QuerySession session, SqlScope scope, string segmentId, string field, string table)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(scope);
        var segment = store.Find(scope.AppId, segmentId)
            ?? throw new QueryValidationException(field, $"{field}: no segment of this app has the id '{segmentId}'.");
        var saved = store.List(scope.AppId).ToDictionary(s => s.Id, s => s.Criteria, StringComparer.Ordinal);
        var tables = mirror.Prepare(session, scope.AppId);
        string members = SegmentSqlCompiler.Members(segment.Criteria, saved.GetValueOrDefault, time.GetUtcNow(), tables, scope);
        session.NonQuery($"CREATE OR REPLACE TEMP TABLE {table} AS SELECT pid FROM ({members})");
        return table;
    }

    /// <summary>A temporary table <c>(pid, v)</c>: every person with a profile, <c>v</c> = member or not member.</summary>
    public string Breakdown(QuerySession session, SqlScope scope, string segmentId, string table)
    {
        string members = Members(session, scope, segmentId, "breakdown.segment", table + "_members");
        var tables = mirror.Prepare(session, scope.AppId);
        session.NonQuery($"""
            CREATE OR REPLACE TEMP TABLE {table} AS
            SELECT p.pid, CASE WHEN m.pid IS NULL THEN '{NotMember}' ELSE '{Member}' END AS v
            FROM {tables.Persons} p LEFT JOIN {members} m ON m.pid = p.pid
            """);
        return table;
    }
}
