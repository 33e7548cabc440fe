using Lodestar.Analytics;
using Lodestar.Analytics.Execution;
using Lodestar.Analytics.Experiments;
using Lodestar.Analytics.Planning;
using Lodestar.Core.Apps;
using Lodestar.Core.Statistics.Api;
using Lodestar.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Lodestar.Server.Experiments;

/// <summary>
/// A/B-test results computed from the event store: <c>GET /api/v1/apps/{appId}/ab-tests/{testId}/results</c>.
/// Until A/B tests have definitions of their own, a test is its exposure events: events named
/// <c>$experiment_exposure</c> with properties <c>{"testId", "variantId", "variantName"}</c>. Each person counts once,
/// in the variant of their first exposure to the test, from the time of that exposure.
/// </summary>
public static class ExperimentResultsApi
{
    /// <summary>The response: the arms (baseline first) with their aggregate rows, and the statistics engine's result.</summary>
    public sealed record ArmResponse(string VariantId, string? VariantName, VariationRow Row);

    /// <summary>
    /// The result for one breakdown value; <see cref="Analysis"/> is null (and <see cref="Errors"/> set) when the value's
    /// data cannot be analysed (e.g. only one arm has exposures with this value).
    /// </summary>
    public sealed record BreakdownResponse(
        string Value, IReadOnlyList<ArmResponse> Arms, AnalyzeResponse? Analysis,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
        IReadOnlyDictionary<string, string[]>? Errors);

    public sealed record ExperimentResultsResponse(
        string TestId, string Metric, string Baseline, IReadOnlyList<ArmResponse> Arms, AnalyzeResponse Result,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
        IReadOnlyList<BreakdownResponse>? Breakdowns = null);

    public static RouteGroupBuilder MapExperimentResultsApi(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);

        api.MapGet("/apps/{appId}/ab-tests/{testId}/results", GetResults)
            .WithTags("Experiments")
            .WithName("AbTestResults")
            .WithSummary("A/B-test results from exposure events (name $experiment_exposure, properties {testId, variantId, variantName}; " +
                "first exposure per person wins). metric=conversion|count|sum|retention|ratio with event, window (7d), property, " +
                "day, denominatorEvent; cuped=true&preWindow=14d; variants=a,b (baseline first; default by variantId, Control first); " +
                "engine, differenceType, alpha, sequential, correction. breakdown=property:NAME adds \"breakdowns\": the same " +
                "result per value of NAME on the person's first exposure (missing → \"(none)\"; at most 25 values by exposed " +
                "persons, the rest as \"other\"), with correction=holm-bonferroni|benjamini-hochberg applied across all " +
                "(value × treatment arm) p-values together (pValueAdjusted, ciAdjusted).");

        api.MapGet("/apps/{appId}/ab-tests/{testId}/results/timeseries", GetTimeseries)
            .WithTags("Experiments")
            .WithName("AbTestResultsTimeseries")
            .WithSummary("Cumulative A/B-test results: the result as it stood at each UTC day end (interval=day), from the " +
                "first exposure's day to the last exposure or metric event (at most 400 days). Same parameters as /results except breakdown.");

        return api;
    }

    public sealed record ResultsPointResponse(
        DateTimeOffset At, IReadOnlyList<ArmResponse> Arms, AnalyzeResponse? Result, IReadOnlyDictionary<string, string[]>? Errors);

    public sealed record ExperimentTimeseriesResponse(string TestId, string Metric, string Baseline, IReadOnlyList<ResultsPointResponse> Points);

    internal static async Task<Results<Ok<ExperimentTimeseriesResponse>, ProblemHttpResult>> GetTimeseries(
        string appId, string testId, HttpRequest request, IAppStore apps, DuckDbQueryRunner runner,
        IOptions<AnalyticsOptions> options, CancellationToken cancellationToken)
    {
        if (apps.Find(appId) is null) return Problems.NotFound($"No app has the id '{appId}'.");
        ExperimentMetricQuery query;
        try
        {
            query = ExperimentMetricQuery.Parse(testId, name => request.Query.TryGetValue(name, out var v) ? v.ToString() : null);
            string interval = request.Query["interval"].ToString();
            if (interval is not ("" or "day")) throw new QueryValidationException("interval", $"interval '{interval}' is not supported; use day.");
            if (query.BreakdownProperty is not null)
                throw new QueryValidationException("breakdown", "breakdown is supported on /results, not on /results/timeseries.");
        }
        catch (QueryValidationException ex)
        {
            return Problems.BadRequest(ex.Message, new Dictionary<string, object?> { ["field"] = ex.Field });
        }

        var fresh = request.HttpContext.RequestServices.GetRequiredService<Users.ReadYourWrites>();
        await fresh.EventsAsync(cancellationToken);
        IReadOnlyList<ExperimentResultsPoint>? points;
        try
        {
            points = await new ExperimentResultsEngine(runner, options).DailyAsync(appId, query, cancellationToken);
        }
        catch (QueryTimeoutException ex)
        {
            return Problems.Create(StatusCodes.Status504GatewayTimeout, "The query took too long.", ex.Message);
        }

        if (points is null) return Problems.NotFound($"App '{appId}' has no exposures ({ExperimentMetricQuery.ExposureEvent}) to test '{testId}'.");
        var response = points.Select(p => new ResultsPointResponse(
            p.At,
            p.Arms.Select(a => new ArmResponse(a.VariantId, a.VariantName, a.Row)).ToList(),
            p.Analysis.Value,
            p.Analysis.IsValid ? null : p.Analysis.Errors)).ToList();
        return TypedResults.Ok(new ExperimentTimeseriesResponse(testId, request.Query["metric"].ToString(), points[0].Arms[0].VariantId, response));
    }

    internal static async Task<Results<Ok<ExperimentResultsResponse>, ValidationProblem, ProblemHttpResult>> GetResults(
        string appId, string testId, HttpRequest request, IAppStore apps, DuckDbQueryRunner runner,
        IOptions<AnalyticsOptions> options, CancellationToken cancellationToken)
    {
        if (apps.Find(appId) is null) return Problems.NotFound($"No app has the id '{appId}'.");
        ExperimentMetricQuery query;
        try
        {
            query = ExperimentMetricQuery.Parse(testId, name => request.Query.TryGetValue(name, out var v) ? v.ToString() : null);
        }
        catch (QueryValidationException ex)
        {
            return Problems.BadRequest(ex.Message, new Dictionary<string, object?> { ["field"] = ex.Field });
        }

        // Every acknowledged event counts: wait (bounded) for it to reach the event store.
        var fresh = request.HttpContext.RequestServices.GetRequiredService<Users.ReadYourWrites>();
        await fresh.EventsAsync(cancellationToken);
        ExperimentResults? results;
        try
        {
            results = await new ExperimentResultsEngine(runner, options).AnalyzeAsync(appId, query, cancellationToken);
        }
        catch (QueryTimeoutException ex)
        {
            return Problems.Create(StatusCodes.Status504GatewayTimeout, "The query took too long.", ex.Message);
        }

        if (results is null) return Problems.NotFound($"App '{appId}' has no exposures ({ExperimentMetricQuery.ExposureEvent}) to test '{testId}'.");
        if (results.Analysis.Value is not { } analysis)
        {
            return TypedResults.ValidationProblem(results.Analysis.Errors,
                detail: "The test's data cannot be analysed (e.g. only one variant has exposures); see errors.",
                title: "Invalid experiment analysis");
        }

        var arms = results.Arms.Select(a => new ArmResponse(a.VariantId, a.VariantName, a.Row)).ToList();
        var breakdowns = results.Breakdowns?.Select(b => new BreakdownResponse(
            b.Value,
            b.Arms.Select(a => new ArmResponse(a.VariantId, a.VariantName, a.Row)).ToList(),
            b.Analysis.Value,
            b.Analysis.IsValid ? null : b.Analysis.Errors)).ToList();
        return TypedResults.Ok(new ExperimentResultsResponse(
            results.TestId, request.Query["metric"].ToString(), arms[0].VariantId, arms, analysis, breakdowns));
    }
}
