using Lodestar.Analytics.Execution;
using Lodestar.Analytics.Planning;
using Lodestar.Core.Statistics;
using Lodestar.Core.Statistics.Api;
using Microsoft.Extensions.Options;

namespace Lodestar.Analytics.Experiments;

/// <summary>One arm of a test: its variant and the gbstats aggregate row computed from the event store.</summary>
public sealed record ExperimentArm(string VariantId, string? VariantName, VariationRow Row);

/// <summary>The arms (baseline first), the statistics request built from them, and the engine's answer.</summary>
public sealed record ExperimentResults(
    string TestId, IReadOnlyList<ExperimentArm> Arms, AnalyzeRequest Request, Validated<AnalyzeResponse> Analysis,
    IReadOnlyList<ExperimentBreakdown>? Breakdowns = null);

/// <summary>
/// The result for the persons whose first exposure had one breakdown value: arms in the overall order, and the analysis,
/// whose adjusted p-values (and intervals) come from the correction applied across all breakdown values and arms together.
/// </summary>
public sealed record ExperimentBreakdown(string Value, IReadOnlyList<ExperimentArm> Arms, Validated<AnalyzeResponse> Analysis);

/// <summary>The result as it stood at <see cref="At"/> (a UTC day end).</summary>
public sealed record ExperimentResultsPoint(DateTimeOffset At, IReadOnlyList<ExperimentArm> Arms, Validated<AnalyzeResponse> Analysis);

/// <summary>
/// Computes A/B-test results from exposure events: one aggregate query per call (see <see cref="ExperimentSql"/>) run
/// through the analytics query runner with its time limit, then the statistics engine on the per-arm rows.
/// </summary>
public sealed class ExperimentResultsEngine(DuckDbQueryRunner runner, IOptions<AnalyticsOptions> options)
{
    /// <summary>The results, or null when nobody was exposed to the test.</summary>
    public async Task<ExperimentResults?> AnalyzeAsync(string appId, ExperimentMetricQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        bool breakdown = query.BreakdownProperty is not null;
        // The event properties the aggregate reads (a materialized one is read from its column).
        FieldRef?[] properties =
        [
            new(false, "testId"), new(false, "variantId"), new(false, "variantName"),
            query.Property is null or "value" ? null : new(false, query.Property),
            query.BreakdownProperty is null ? null : new(false, query.BreakdownProperty),
        ];
        var (arms, values) = await runner.RunAsync(appId, properties, options.Value.QueryTimeout, (session, scope) =>
        {
            var overall = new List<ExperimentArm>();
            var byValue = new Dictionary<string, List<ExperimentArm>>(StringComparer.Ordinal);
            using var reader = session.Execute(ExperimentSql.Aggregate(scope, query, breakdown: breakdown));
            while (reader.Read())
            {
                if (!breakdown) overall.Add(ReadArm(reader, 0, query));
                else if (reader.IsDBNull(0)) overall.Add(ReadArm(reader, 1, query));
                else
                {
                    string value = reader.GetString(0);
                    if (!byValue.TryGetValue(value, out var list)) byValue[value] = list = [];
                    list.Add(ReadArm(reader, 1, query));
                }
            }

            return (overall, byValue);
        }, cancellationToken).ConfigureAwait(false);

        if (arms.Count == 0) return null;
        var ordered = Order(arms, query);
        var request = new AnalyzeRequest
        {
            Metric = query.MetricSettings,
            Settings = query.Settings,
            Variations = ordered.Select(a => a.Row).ToList(),
        };
        var breakdowns = breakdown ? Breakdowns(values, ordered, query) : null;
        return new ExperimentResults(query.TestId, ordered, request, StatisticsRequestHandler.Analyze(request), breakdowns);
    }

    /// <summary>
    /// Runs the engine per breakdown value (values by exposed persons, descending, then by value; arms in the overall
    /// order) without a correction, then applies the requested correction across all (value × treatment arm) p-values.
    /// </summary>
    public static IReadOnlyList<ExperimentBreakdown> Breakdowns(
        IReadOnlyDictionary<string, List<ExperimentArm>> values, IReadOnlyList<ExperimentArm> overallOrder, ExperimentMetricQuery query)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(overallOrder);
        ArgumentNullException.ThrowIfNull(query);
        var fixedOrder = query with { Variants = overallOrder.Select(a => a.VariantId).ToList() };
        var q = query.Settings;
        var settings = new AnalysisSettings
        {
            StatsEngine = q.StatsEngine, DifferenceType = q.DifferenceType, Alpha = q.Alpha,
            SequentialTestingEnabled = q.SequentialTestingEnabled, SequentialTuningParameter = q.SequentialTuningParameter,
            OneSidedIntervals = q.OneSidedIntervals, PriorProper = q.PriorProper, PriorMean = q.PriorMean, PriorStddev = q.PriorStddev,
            RegressionAdjusted = q.RegressionAdjusted, Weights = q.Weights, TrafficPercentage = q.TrafficPercentage,
            PhaseLengthDays = q.PhaseLengthDays, PValueCorrection = null,
        };
        var list = values
            .OrderByDescending(v => v.Value.Sum(a => a.Row.Users ?? 0)).ThenBy(v => v.Key, StringComparer.Ordinal)
            .Select(v =>
            {
                var arms = Order(v.Value, fixedOrder);
                var request = new AnalyzeRequest { Metric = query.MetricSettings, Settings = settings, Variations = arms.Select(a => a.Row).ToList() };
                return new ExperimentBreakdown(v.Key, arms, StatisticsRequestHandler.Analyze(request));
            }).ToList();

        var correction = query.Settings.PValueCorrection switch
        {
            "holm-bonferroni" => PValueCorrection.HolmBonferroni,
            "benjamini-hochberg" => PValueCorrection.BenjaminiHochberg,
            _ => PValueCorrection.None,
        };
        if (correction == PValueCorrection.None) return list;

        var tested = new List<(int Breakdown, int Arm, double PValue)>();
        for (int b = 0; b < list.Count; b++)
        {
            if (list[b].Analysis.Value is not { } analysis) continue;
            for (int i = 1; i < analysis.Variations.Count; i++)
                if (analysis.Variations[i].PValue is { } p) tested.Add((b, i, p));
        }

        if (tested.Count == 0) return list;
        var adjusted = MultipleTestingCorrection.Adjust(tested.Select(t => t.PValue).ToList(), correction);
        var result = list.ToArray();
        for (int j = 0; j < tested.Count; j++)
        {
            var (b, i, _) = tested[j];
            var analysis = result[b].Analysis.Value!;
            var variation = analysis.Variations[i];
            IReadOnlyList<double?>? ci = null;
            if (variation.Uplift?.Mean is { } lift && variation.Ci is [var lower, var upper])
            {
                var (l, u) = MultipleTestingCorrection.AdjustedInterval(
                    adjusted[j], lift, query.Settings.Alpha, lower ?? double.NegativeInfinity, upper ?? double.PositiveInfinity);
                ci = [double.IsFinite(l) ? l : null, double.IsFinite(u) ? u : null];
            }

            var variations = analysis.Variations.ToArray();
            variations[i] = variation with { PValueAdjusted = adjusted[j], CiAdjusted = ci };
            result[b] = result[b] with { Analysis = Validated<AnalyzeResponse>.Success(analysis with { Variations = variations }) };
        }

        return result;
    }

    /// <summary>
    /// The result as it stood at the end of each UTC day (exposures and events before it), from the first exposure's day;
    /// null when nobody was exposed. Every point has the arms of the last one (an arm not yet exposed has zero users).
    /// </summary>
    public async Task<IReadOnlyList<ExperimentResultsPoint>?> DailyAsync(string appId, ExperimentMetricQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var days = await runner.RunAsync(appId, [], options.Value.QueryTimeout, (session, scope) =>
        {
            var found = new SortedDictionary<DateTime, List<ExperimentArm>>();
            using var reader = session.Execute(ExperimentSql.Aggregate(scope, query, daily: true));
            while (reader.Read())
            {
                var day = DateTime.SpecifyKind(reader.GetDateTime(0), DateTimeKind.Utc);
                if (!found.TryGetValue(day, out var arms)) found[day] = arms = [];
                arms.Add(ReadArm(reader, 1, query));
            }

            return found;
        }, cancellationToken).ConfigureAwait(false);

        if (days.Count == 0) return null;
        var order = query.Variants ?? Order(days.Values.Last(), query).Select(a => a.VariantId).ToList();
        var fixedOrder = query with { Variants = order };
        return days.Select(d =>
        {
            var arms = Order(d.Value, fixedOrder);
            var request = new AnalyzeRequest { Metric = query.MetricSettings, Settings = query.Settings, Variations = arms.Select(a => a.Row).ToList() };
            return new ExperimentResultsPoint(new DateTimeOffset(d.Key), arms, StatisticsRequestHandler.Analyze(request));
        }).ToList();
    }

    private static ExperimentArm ReadArm(System.Data.Common.DbDataReader reader, int offset, ExperimentMetricQuery query)
    {
        double Get(int i) => reader.IsDBNull(offset + i) ? 0 : reader.GetDouble(offset + i);
        double users = Get(2);
        bool ratio = query.Metric == ExperimentMetricType.Ratio, cuped = query.PreWindowSeconds is not null;
        return new ExperimentArm(reader.GetString(offset), reader.IsDBNull(offset + 1) ? null : reader.GetString(offset + 1), new VariationRow
        {
            Users = users,
            Count = users,
            MainSum = Get(3),
            MainSumSquares = Get(4),
            DenominatorSum = ratio ? Get(5) : null,
            DenominatorSumSquares = ratio ? Get(6) : null,
            MainDenominatorSumProduct = ratio ? Get(7) : null,
            CovariateSum = cuped ? Get(8) : null,
            CovariateSumSquares = cuped ? Get(9) : null,
            MainCovariateSumProduct = cuped ? Get(10) : null,
        });
    }

    /// <summary>The requested order, or by variantId with the variant named/identified "Control"/"control" first.</summary>
    public static IReadOnlyList<ExperimentArm> Order(IReadOnlyList<ExperimentArm> arms, ExperimentMetricQuery query)
    {
        ArgumentNullException.ThrowIfNull(arms);
        ArgumentNullException.ThrowIfNull(query);
        if (query.Variants is { } variants)
        {
            bool ratio = query.Metric == ExperimentMetricType.Ratio, cuped = query.PreWindowSeconds is not null;
            return variants.Select(id => arms.FirstOrDefault(a => a.VariantId == id) ?? new ExperimentArm(id, null, new VariationRow
            {
                Users = 0, Count = 0, MainSum = 0, MainSumSquares = 0,
                DenominatorSum = ratio ? 0 : null, DenominatorSumSquares = ratio ? 0 : null, MainDenominatorSumProduct = ratio ? 0 : null,
                CovariateSum = cuped ? 0 : null, CovariateSumSquares = cuped ? 0 : null, MainCovariateSumProduct = cuped ? 0 : null,
            })).ToList();
        }

        var sorted = arms.OrderBy(a => a.VariantId, StringComparer.Ordinal).ToList();
        var control = sorted.FirstOrDefault(a => a.VariantName is "Control" or "control")
            ?? sorted.FirstOrDefault(a => a.VariantId is "Control" or "control");
        if (control is not null)
        {
            sorted.Remove(control);
            sorted.Insert(0, control);
        }

        return sorted;
    }
}
