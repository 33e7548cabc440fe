using Lodestar.Core.Statistics.Api;
using Lodestar.Server.Http;
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
            .Accepts<AnalyzeRequest>("application/json", "*/*")
            .WithName("AnalyzeExperimentMetric")
            .WithSummary("Compares every variation of one metric with the baseline (frequentist or Bayesian), with SRM.");

        api.MapPost("stats/bandit", Bandit)
            .Accepts<BanditRequest>("application/json", "*/*")
            .WithName("UpdateBanditWeights")
            .WithSummary("Computes new Thompson-sampling traffic weights and best-arm probabilities from per-arm aggregates.");

        api.MapPost("stats/srm", Srm)
            .Accepts<SrmRequest>("application/json", "*/*")
            .WithName("CheckSampleRatioMismatch")
            .WithSummary("Chi-squared test of observed users per variation against the planned traffic split.");

        return api;
    }

    // The body is read leniently (any content type) so a malformed one gets a message saying where it broke.
    internal static async Task<Results<Ok<AnalyzeResponse>, ValidationProblem, ProblemHttpResult>> Analyze(HttpRequest http)
    {
        var (request, error) = await JsonBody.ReadAsync<AnalyzeRequest>(http);
        return request is null ? Problems.BadRequest(error!) : ToHttp(StatisticsRequestHandler.Analyze(request));
    }

    internal static async Task<Results<Ok<BanditResponse>, ValidationProblem, ProblemHttpResult>> Bandit(HttpRequest http)
    {
        var (request, error) = await JsonBody.ReadAsync<BanditRequest>(http);
        return request is null ? Problems.BadRequest(error!) : ToHttp(StatisticsRequestHandler.Bandit(request));
    }

    internal static async Task<Results<Ok<SrmResponse>, ValidationProblem, ProblemHttpResult>> Srm(HttpRequest http)
    {
        var (request, error) = await JsonBody.ReadAsync<SrmRequest>(http);
        return request is null ? Problems.BadRequest(error!) : ToHttp(StatisticsRequestHandler.Srm(request));
    }

    // The one place a client's statistics mistake becomes a 400 ValidationProblem (RFC 9457 ProblemDetails).
    private static Results<Ok<T>, ValidationProblem, ProblemHttpResult> ToHttp<T>(Validated<T> result)
        where T : class =>
        result.Value is { } value
            ? TypedResults.Ok(value)
            : TypedResults.ValidationProblem(
                result.Errors,
                detail: "The statistics request is invalid; see errors for each field.",
                title: "Invalid statistics request");
}
