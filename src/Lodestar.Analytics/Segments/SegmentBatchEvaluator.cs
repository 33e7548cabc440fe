using System.Globalization;
using Lodestar.Analytics.Execution;
using Lodestar.Analytics.Sql;
using Lodestar.Core.Segments;
using Microsoft.Extensions.Options;

namespace Lodestar.Analytics.Segments;

/// <summary>
/// Batch segment evaluation: compiles criteria to SQL (<see cref="SegmentSqlCompiler"/>) over the event store and
/// the profile mirror (<see cref="SegmentMirror"/>) and runs it with the analytics time limit.
/// </summary>
public sealed class SegmentBatchEvaluator(DuckDbQueryRunner runner, SegmentMirror mirror, IOptions<AnalyticsOptions> options)
{
    private TimeSpan Timeout => options.Value.QueryTimeout;

    /// <summary>How many persons match, and the display ids of up to <paramref name="sampleSize"/> of them (by person id).</summary>
    public Task<SegmentPreview> PreviewAsync(
        string appId, SegmentCondition criteria, Func<string, SegmentCondition?>? segments, DateTimeOffset now, int sampleSize, CancellationToken cancellationToken) =>
        Run(appId, criteria, segments, now, (session, members) =>
        {
            long count = Convert.ToInt64(session.Scalar($"SELECT count(*) FROM ({members})"), CultureInfo.InvariantCulture);
            var sample = new List<string>();
            if (count > 0 && sampleSize > 0)
            {
                using var reader = session.Execute($"SELECT uid FROM ({members}) ORDER BY pid LIMIT {sampleSize.ToString(CultureInfo.InvariantCulture)}");
                while (reader.Read()) sample.Add(reader.GetString(0));
            }

            return new SegmentPreview(count, sample);
        }, cancellationToken);

    /// <summary>How many persons match.</summary>
    public Task<long> CountAsync(
        string appId, SegmentCondition criteria, Func<string, SegmentCondition?>? segments, DateTimeOffset now, CancellationToken cancellationToken) =>
        Run(appId, criteria, segments, now, (session, members) =>
            Convert.ToInt64(session.Scalar($"SELECT count(*) FROM ({members})"), CultureInfo.InvariantCulture), cancellationToken);

    /// <summary>One page of the matching persons, ordered by person id, after <paramref name="cursor"/> (a person id).</summary>
    public Task<SegmentPage> PageAsync(
        string appId, SegmentCondition criteria, Func<string, SegmentCondition?>? segments, DateTimeOffset now, string? cursor, int limit,
        CancellationToken cancellationToken) =>
        Run(appId, criteria, segments, now, (session, members) =>
        {
            string after = cursor is null ? "" : $" WHERE pid > {DuckDbDialect.Text(cursor)}";
            var persons = new List<SegmentMember>();
            using var reader = session.Execute($"SELECT pid, uid FROM ({members}){after} ORDER BY pid LIMIT {(limit + 1).ToString(CultureInfo.InvariantCulture)}");
            while (reader.Read()) persons.Add(new SegmentMember(reader.GetString(0), reader.GetString(1)));
            string? next = null;
            if (persons.Count > limit)
            {
                persons.RemoveAt(persons.Count - 1);
                next = persons[^1].PersonId;
            }

            return new SegmentPage(persons, next);
        }, cancellationToken);

    /// <summary>The canonical ids of every matching person, ordered.</summary>
    public Task<List<string>> PersonIdsAsync(
        string appId, SegmentCondition criteria, Func<string, SegmentCondition?>? segments, DateTimeOffset now, CancellationToken cancellationToken) =>
        Run(appId, criteria, segments, now, (session, members) =>
        {
            var ids = new List<string>();
            using var reader = session.Execute($"SELECT pid FROM ({members}) ORDER BY pid");
            while (reader.Read()) ids.Add(reader.GetString(0));
            return ids;
        }, cancellationToken);

    /// <summary>Whether one person (canonical id) matches.</summary>
    public Task<bool> ContainsAsync(
        string appId, SegmentCondition criteria, Func<string, SegmentCondition?>? segments, DateTimeOffset now, string personId, CancellationToken cancellationToken) =>
        Run(appId, criteria, segments, now, (session, members) =>
            session.Scalar($"SELECT EXISTS (SELECT 1 FROM ({members}) WHERE pid = {DuckDbDialect.Text(personId)})") is true, cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> inside an analytics query after writing the matching persons into a temporary table
    /// of the session's connection; <paramref name="work"/> gets the table's name (column <c>pid</c>).
    /// </summary>
    internal static string Materialize(QuerySession session, SegmentMirror mirror, SqlScope scope, SegmentCondition criteria,
        Func<string, SegmentCondition?>? segments, DateTimeOffset now, string name)
    {
        var tables = mirror.Prepare(session, scope.AppId);
        session.NonQuery($"CREATE OR REPLACE TEMP TABLE {name} AS SELECT pid FROM ({SegmentSqlCompiler.Members(criteria, segments, now, tables, scope)})");
        return name;
    }

    private Task<T> Run<T>(
        string appId, SegmentCondition criteria, Func<string, SegmentCondition?>? segments, DateTimeOffset now,
        Func<QuerySession, string, T> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(criteria);
        return runner.RunAsync(appId, [], Timeout, (session, scope) =>
        {
            var tables = mirror.Prepare(session, appId);
            return work(session, SegmentSqlCompiler.Members(criteria, segments, now, tables, scope));
        }, cancellationToken);
    }
}

/// <summary>A preview: how many persons match, and a sample of their display ids.</summary>
public sealed record SegmentPreview(long Persons, IReadOnlyList<string> Sample);

/// <summary>A matching person: canonical id and the id to show (user id, else an anonymous id).</summary>
public sealed record SegmentMember(string PersonId, string UserId);

/// <summary>One page of members; <see cref="NextCursor"/> is null on the last page.</summary>
public sealed record SegmentPage(IReadOnlyList<SegmentMember> Persons, string? NextCursor);
