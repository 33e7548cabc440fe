using Lodestar.Core.Statistics.Api;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lodestar.Server.Statistics;

/// <summary>
/// The experiment statistics endpoints. The caller maps them on a group that is already at <c>/api/v1</c>
/// and already requires admin auth; this class only translates HTTP to the Core handler and back.
/// </summary>
public static class StatisticsApi
{
    public static RouteGroupBuilder MapStatisticsApi(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);

        api.MapPost("stats/analyze", Analyze)
            .WithName("AnalyzeExperimentMetric")
            .WithSummary("Compares every variation of one metric with the baseline (frequentist or Bayesian), with SRM.");

        api.MapPost("stats/bandit", Bandit)
            .WithName("UpdateBanditWeights")
            .WithSummary("Computes new Thompson-sampling traffic weights and best-arm probabilities from per-arm aggregates.");

        api.MapPost("stats/srm", Srm)
            .WithName("CheckSampleRatioMismatch")
            .WithSummary("Chi-squared test of observed users per variation against the planned traffic split.");

        return api;
    }

    internal static Results<Ok<AnalyzeResponse>, ValidationProblem> Analyze(AnalyzeRequest request) =>
        ToHttp(StatisticsRequestHandler.Analyze(request));

    internal static Results<Ok<BanditResponse>, ValidationProblem> Bandit(BanditRequest request) =>
        ToHttp(StatisticsRequestHandler.Bandit(request));

    internal static Results<Ok<SrmResponse>, ValidationProblem> Srm(SrmRequest request) =>
        ToHttp(StatisticsRequestHandler.Srm(request));

    // The one place a client's statistics mistake becomes a 400 ValidationProblem (RFC 9457 ProblemDetails).
    private static Results<Ok<T>, ValidationProblem> ToHttp<T>(Validated<T> result)
        where T : class =>
        result.Value is { } value
            ? TypedResults.Ok(value)
            : TypedResults.ValidationProblem(
                result.Errors,
                detail: "The statistics request is invalid; see errors for each field.",
                title: "Invalid statistics request");
}
