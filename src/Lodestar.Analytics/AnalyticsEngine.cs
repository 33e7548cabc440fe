using System.Data.Common;
using System.Globalization;
using Lodestar.Analytics.Execution;
using Lodestar.Analytics.Planning;
using Lodestar.Analytics.Queries;
using Lodestar.Analytics.Sql;
using Microsoft.Extensions.Options;

namespace Lodestar.Analytics;

/// <summary>
/// Answers trends, funnels, retention, paths and lifecycle queries: validates them into plans, has the dialect write
/// the SQL, runs it with a time limit, and shapes the rows (zero-filled periods, top breakdown values, Sankey nodes).
/// </summary>
public sealed class AnalyticsEngine(DuckDbQueryRunner runner, IOptions<AnalyticsOptions> options)
{
    private readonly IAnalyticsDialect _dialect = new DuckDbDialect();

    private TimeSpan Timeout => options.Value.QueryTimeout;

    public Task<TrendsResult> TrendsAsync(string appId, TrendsQuery query, CancellationToken cancellationToken)
    {
        var plan = QueryPlanner.Plan(query);
        var fields = plan.Series.SelectMany(s => s.Match.Filters.Select(f => f.Field))
            .Concat(plan.Series.Where(s => s.ValueProperty is not (null or "value")).Select(s => new FieldRef(false, s.ValueProperty!)))
            .Append(plan.Breakdown);
        return runner.RunAsync(appId, fields, Timeout, (session, scope) =>
        {
            var calendar = plan.Calendar;
            var buckets = calendar.Buckets(plan.Range.From, plan.Range.To, QueryPlanner.MaxPoints);
            var lines = new List<TrendLine>();
            foreach (var series in plan.Series)
            {
                lines.AddRange(TrendLines(session, scope, plan, series, plan.Range, buckets, previous: false));
                if (plan.CompareToPrevious)
                {
                    var first = buckets[0];
                    var previousRange = new TimeRange(calendar.Instant(calendar.Add(first, -buckets.Count)), calendar.Instant(first).AddTicks(-10));
                    var previousBuckets = calendar.Buckets(previousRange.From, previousRange.To, QueryPlanner.MaxPoints);
                    lines.AddRange(TrendLines(session, scope, plan, series, previousRange, previousBuckets, previous: true));
                }
            }

            return new TrendsResult(lines);
        }, cancellationToken, query.Segment);
    }

    private List<TrendLine> TrendLines(
        QuerySession session, SqlScope scope, TrendsPlan plan, TrendSeriesPlan series, TimeRange range, List<DateTime> buckets, bool previous)
    {
        var byValue = new Dictionary<(string? Value, bool Other), Dictionary<DateTime, double?>>();
        using (var reader = session.Execute(_dialect.Trend(series, plan, range, scope)))
        {
            while (reader.Read())
            {
                var key = (reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetBoolean(2));
                if (!byValue.TryGetValue(key, out var points)) byValue[key] = points = [];
                points[reader.GetDateTime(0)] = NullableDouble(reader, 3);
            }
        }

        if (plan.Breakdown is null && byValue.Count == 0) byValue[(null, false)] = [];
        bool zeroWhenEmpty = series.Math is TrendMath.Total or TrendMath.Uniques or TrendMath.Sum or TrendMath.WeightedScore;
        string math = QueryPlanner.Camel(series.Math);
        string suffix = previous ? " (previous)" : "";
        return byValue
            .OrderBy(kv => kv.Key.Other)
            .ThenByDescending(kv => kv.Value.Values.Sum(v => v ?? 0))
            .ThenBy(kv => kv.Key.Value, StringComparer.Ordinal)
            .Select(kv =>
            {
                var points = buckets.Select(b => new TrendPoint(plan.Calendar.Instant(b),
                    kv.Value.TryGetValue(b, out var v) ? v ?? (zeroWhenEmpty ? 0 : null) : zeroWhenEmpty ? 0 : null)).ToList();
                string label = plan.Breakdown is null ? series.Label : $"{series.Label} — {(kv.Key.Other ? "other" : kv.Key.Value ?? "(none)")}";
                return new TrendLine(label + suffix, series.Match.Name ?? EventMatch.AnyEvent, math,
                    kv.Key.Other ? "other" : kv.Key.Value, kv.Key.Other, previous, points);
            })
            .ToList();
    }

    public Task<FunnelResult> FunnelAsync(string appId, FunnelQuery query, CancellationToken cancellationToken)
    {
        var plan = QueryPlanner.Plan(query);
        return runner.RunAsync(appId, FunnelFields(plan), Timeout, (session, scope) =>
        {
            int n = plan.Steps.Count;
            IReadOnlyList<FunnelStepResult>? total = null;
            var breakdowns = new List<(FunnelBreakdownResult Result, long Entered)>();
            using var reader = session.Execute(_dialect.FunnelSummary(plan, scope));
            while (reader.Read())
            {
                var steps = new List<FunnelStepResult>();
                int column = 3;
                long first = 0, previous = 0;
                for (int k = 0; k < n; k++)
                {
                    long persons = Convert.ToInt64(reader.GetValue(column++), CultureInfo.InvariantCulture);
                    double? median = null, mean = null;
                    if (k > 0)
                    {
                        median = NullableDouble(reader, column++);
                        mean = NullableDouble(reader, column++);
                    }
                    else
                    {
                        first = persons;
                        previous = persons;
                    }

                    steps.Add(new FunnelStepResult(plan.Steps[k].Name!, persons, Ratio(persons, first), Ratio(persons, previous), median, mean));
                    previous = persons;
                }

                if (reader.GetBoolean(0)) total = steps;
                else breakdowns.Add((new FunnelBreakdownResult(reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetBoolean(2), steps), first));
            }

            total ??= plan.Steps.Select(s => new FunnelStepResult(s.Name!, 0, 0, 0, null, null)).ToList();
            return new FunnelResult(total, breakdowns
                .OrderBy(b => b.Result.IsOther).ThenByDescending(b => b.Entered).ThenBy(b => b.Result.BreakdownValue, StringComparer.Ordinal)
                .Select(b => b.Result).ToList());
        }, cancellationToken, query.Segment);
    }

    public Task<FunnelPersonsResult> FunnelPersonsAsync(string appId, FunnelPersonsQuery query, CancellationToken cancellationToken)
    {
        var plan = QueryPlanner.Plan(query.Funnel ?? throw new QueryValidationException("funnel", "funnel is required: the funnel query whose persons to list."));
        int step = query.DroppedAfterStep ?? throw new QueryValidationException("droppedAfterStep", "droppedAfterStep is required (0-based step index).");
        if (step < 0 || step >= plan.Steps.Count)
            throw new QueryValidationException("droppedAfterStep", $"droppedAfterStep must be between 0 and {plan.Steps.Count - 1}.");
        int limit = query.Limit ?? 100;
        if (limit is < 1 or > 10_000) throw new QueryValidationException("limit", "limit must be between 1 and 10000.");
        bool other = query.BreakdownValue == "other" && plan.Breakdown is not null;
        return runner.RunAsync(appId, FunnelFields(plan), Timeout, (session, scope) =>
        {
            var ids = new List<string>();
            using var reader = session.Execute(_dialect.FunnelDropped(plan, scope, step, query.BreakdownValue, other, query.Cursor, limit));
            while (reader.Read()) ids.Add(reader.GetString(0));
            return new FunnelPersonsResult(ids, ids.Count == limit ? ids[^1] : null);
        }, cancellationToken, query.Funnel.Segment);
    }

    public Task<TimeToConvertResult> TimeToConvertAsync(string appId, FunnelQuery query, int bins, CancellationToken cancellationToken)
    {
        var plan = QueryPlanner.Plan(query);
        if (plan.Steps.Count < 2) throw new QueryValidationException("steps", "Time to convert needs at least two steps.");
        if (bins is < 1 or > 100) throw new QueryValidationException("bins", "bins must be between 1 and 100.");
        return runner.RunAsync(appId, FunnelFields(plan), Timeout, (session, scope) =>
        {
            var seconds = new List<double>();
            using (var reader = session.Execute(_dialect.FunnelConversionTimes(plan, scope)))
            {
                while (reader.Read()) seconds.Add(reader.GetDouble(0));
            }

            if (seconds.Count == 0) return new TimeToConvertResult(0, null, []);
            seconds.Sort();
            double max = seconds[^1];
            double width = max <= 0 ? 1 : max / bins;
            var counts = new long[bins];
            foreach (double s in seconds) counts[Math.Min(bins - 1, (int)(s / width))]++;
            return new TimeToConvertResult(seconds.Count, Quantile(seconds, 0.5),
                counts.Select((c, i) => new TimeToConvertBin(i * width, (i + 1) * width, c)).ToList());
        }, cancellationToken, query.Segment);
    }

    public Task<RetentionResult> RetentionAsync(string appId, RetentionQuery query, CancellationToken cancellationToken)
    {
        var plan = QueryPlanner.Plan(query);
        var fields = (plan.Start?.Filters ?? []).Concat(plan.Return.Filters).Select(f => f.Field).Append(plan.Breakdown);
        return runner.RunAsync(appId, fields, Timeout, (session, scope) =>
        {
            var calendar = plan.Calendar;
            var last = calendar.BucketOf(plan.Range.To);
            var sizes = new Dictionary<(DateTime Cohort, string? Value), long>();
            var returns = new List<(DateTime Cohort, string? Value, DateTime Return, long Persons)>();
            using (var reader = session.Execute(_dialect.Retention(plan, scope)))
            {
                while (reader.Read())
                {
                    var cohort = reader.GetDateTime(1);
                    string? value = reader.IsDBNull(2) ? null : reader.GetString(2);
                    long persons = Convert.ToInt64(reader.GetValue(4), CultureInfo.InvariantCulture);
                    if (reader.GetString(0) == "size") sizes[(cohort, value)] = persons;
                    else returns.Add((cohort, value, reader.GetDateTime(3), persons));
                }
            }

            // Each person has one breakdown value, so folding the rare values into "other" is a plain sum.
            var top = plan.Breakdown is null
                ? null
                : sizes.GroupBy(s => s.Key.Value).Select(g => (g.Key, Total: g.Sum(s => s.Value)))
                    .OrderByDescending(g => g.Total).ThenBy(g => g.Key is null).ThenBy(g => g.Key, StringComparer.Ordinal)
                    .Take(QueryPlanner.MaxBreakdownValues).Select(g => g.Key).ToHashSet();
            (string? Value, bool Other) Label(string? value) => top is null || top.Contains(value) ? (value, false) : ("other", true);

            var cohorts = new Dictionary<(DateTime, string?, bool), (long Size, long[] Retained)>();
            long[] Row(DateTime cohort) => new long[Math.Min(plan.Periods, calendar.PeriodsBetween(cohort, last)) + 1];
            if (plan.Breakdown is null)
            {
                foreach (var bucket in calendar.Buckets(plan.Range.From, plan.Range.To, QueryPlanner.MaxPoints))
                    cohorts[(bucket, null, false)] = (0, Row(bucket));
            }

            foreach (var ((cohort, value), size) in sizes)
            {
                var (label, other) = Label(value);
                var key = (cohort, label, other);
                var row = cohorts.TryGetValue(key, out var existing) ? existing : (0, Row(cohort));
                row.Retained[0] += size;
                cohorts[key] = (row.Size + size, row.Retained);
            }

            foreach (var (cohort, value, ret, persons) in returns)
            {
                var (label, other) = Label(value);
                var retained = cohorts[(cohort, label, other)].Retained;
                int k = calendar.PeriodsBetween(cohort, ret);
                if (plan.OnOrAfter)
                {
                    for (int j = 1; j <= Math.Min(k, retained.Length - 1); j++) retained[j] += persons;
                }
                else if (k >= 1 && k < retained.Length)
                {
                    retained[k] += persons;
                }
            }

            return new RetentionResult(cohorts
                .OrderBy(c => c.Key.Item1).ThenBy(c => c.Key.Item3).ThenByDescending(c => c.Value.Size).ThenBy(c => c.Key.Item2, StringComparer.Ordinal)
                .Select(c => new RetentionCohort(calendar.Instant(c.Key.Item1), c.Key.Item2, c.Key.Item3, c.Value.Size, c.Value.Retained))
                .ToList());
        }, cancellationToken, query.Segment);
    }

    public Task<PathsResult> PathsAsync(string appId, PathsQuery query, CancellationToken cancellationToken)
    {
        var plan = QueryPlanner.Plan(query);
        return runner.RunAsync(appId, [], Timeout, (session, scope) =>
        {
            var paths = new List<(List<string> Steps, long Persons)>();
            var route = (appId, plan.Anchor, plan.FromStart);
            string? byLists = null;
            if (scope.PersonFilter is null && _pathsRoutes.TakeKeyLists(route))
            {
                scope = scope with { EventNames = runner.EventNames.Names(session, appId, DuckDbDialect.MaxPackedNames) };
                byLists = _dialect.PathsByKeyLists(plan, scope);
            }

            if (byLists is null)
            {
                ReadPaths(session, _dialect.Paths(plan, scope), plan, paths);
                return PathGraph.Build(plan, paths);
            }

            long listed = 0, exact = 0;
            using (var reader = session.Execute(byLists))
            {
                while (reader.Read())
                {
                    long persons = Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture);
                    if (reader.GetBoolean(2)) listed += persons;
                    else exact += persons;
                    paths.Add((PathSteps(reader, plan), persons));
                }
            }

            _pathsRoutes.Record(route, listed, exact);
            return PathGraph.Build(plan, paths);
        }, cancellationToken, query.Segment);
    }

    private readonly PathsRoutes _pathsRoutes = new();

    private static void ReadPaths(QuerySession session, string sql, PathsPlan plan, List<(List<string> Steps, long Persons)> paths)
    {
        using var reader = session.Execute(sql);
        while (reader.Read()) paths.Add((PathSteps(reader, plan), Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture)));
    }

    private static List<string> PathSteps(DbDataReader reader, PathsPlan plan)
    {
        var steps = ((System.Collections.IEnumerable)reader.GetValue(0)).Cast<object>().Select(o => (string)o).ToList();
        if (!plan.FromStart) steps.Reverse();
        return steps;
    }

    public Task<LifecycleResult> LifecycleAsync(string appId, LifecycleQuery query, CancellationToken cancellationToken)
    {
        var plan = QueryPlanner.Plan(query);
        return runner.RunAsync(appId, plan.Match.Filters.Select(f => f.Field), Timeout, (session, scope) =>
        {
            var calendar = plan.Calendar;
            var buckets = calendar.Buckets(plan.Range.From, plan.Range.To, QueryPlanner.MaxPoints);
            var scanFrom = calendar.Instant(calendar.Add(buckets[0], -1));
            var current = new Dictionary<DateTime, (long New, long Returning, long Resurrecting)>();
            var dormant = new Dictionary<DateTime, long>();
            using (var reader = session.Execute(_dialect.Lifecycle(plan, scope, scanFrom)))
            {
                while (reader.Read())
                {
                    var bucket = reader.GetDateTime(1);
                    long Count(int i) => Convert.ToInt64(reader.GetValue(i), CultureInfo.InvariantCulture);
                    if (reader.GetString(0) == "cur") current[bucket] = (Count(2), Count(3), Count(4));
                    else dormant[bucket] = Count(2);
                }
            }

            return new LifecycleResult(buckets.Select(b =>
            {
                var c = current.GetValueOrDefault(b);
                return new LifecyclePeriod(calendar.Instant(b), c.New, c.Returning, c.Resurrecting, dormant.GetValueOrDefault(b));
            }).ToList());
        }, cancellationToken, query.Segment);
    }

    /// <summary>The person's engagement score: the sum over their events of the event's value, else its weight.</summary>
    public Task<double> EngagementScoreAsync(string appId, string personId, CancellationToken cancellationToken) =>
        runner.RunAsync(appId, [], Timeout, (session, scope) =>
        {
            return Convert.ToDouble(session.Scalar(_dialect.EngagementScore(scope, personId)), CultureInfo.InvariantCulture);
        }, cancellationToken);

    private static IEnumerable<FieldRef?> FunnelFields(FunnelPlan plan) =>
        plan.Steps.Concat(plan.Exclusions.Select(x => x.Match)).SelectMany(m => m.Filters.Select(f => f.Field)).Append(plan.Breakdown);

    private static double? NullableDouble(DbDataReader reader, int i) =>
        reader.IsDBNull(i) ? null : Convert.ToDouble(reader.GetValue(i), CultureInfo.InvariantCulture);

    private static double Ratio(long a, long b) => b == 0 ? 0 : (double)a / b;

    /// <summary>Linear interpolation between closest ranks (what <c>quantile_cont</c> computes).</summary>
    public static double Quantile(IReadOnlyList<double> sorted, double q)
    {
        double position = (sorted.Count - 1) * q;
        int lower = (int)Math.Floor(position);
        int upper = (int)Math.Ceiling(position);
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
    }
}
