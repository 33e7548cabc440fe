using Lodestar.Analytics;
using Lodestar.Analytics.Planning;
using Lodestar.Analytics.Queries;
using Lodestar.Core.Apps;
using Lodestar.Core.Profiles;
using Lodestar.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lodestar.Server.Insights;

/// <summary>Trends, funnels, retention, paths and lifecycle: <c>/api/v1/apps/{appId}/insights</c>.</summary>
public static class InsightsApi
{
    public sealed record DroppedPerson(string PersonId, string? UserId);

    public sealed record FunnelPersonsResponse(IReadOnlyList<DroppedPerson> Persons, string? NextCursor);

    public static RouteGroupBuilder MapInsightsApi(this RouteGroupBuilder api)
    {
        // Every query takes "segment": SEGMENT_ID (only that saved segment's members count); trends, funnels and
        // retention also take "breakdown": {"segment": SEGMENT_ID} (member / not member).
        var insights = api.MapGroup("/apps/{appId}/insights").WithTags("Insights")
            .WithDescription("Every query takes \"segment\": SEGMENT_ID to count only the members of a saved segment; trends, funnels and retention also take \"breakdown\": {\"segment\": SEGMENT_ID} (member / not member).");

        insights.MapPost("/trends", (string appId, HttpRequest request, IAppStore apps, AnalyticsEngine engine, CancellationToken cancellationToken) =>
                RunAsync<TrendsQuery, TrendsResult>(appId, request, apps, query => engine.TrendsAsync(appId, query, cancellationToken)))
            .Accepts<TrendsQuery>("application/json", "*/*")
            .WithName("InsightsTrends")
            .WithSummary("Events per period (total, uniques, sum, avg, min, max, median, p90, perUserAvg, weightedScore), optionally broken down (top 25 + other).");

        insights.MapPost("/funnels", (string appId, HttpRequest request, IAppStore apps, AnalyticsEngine engine, CancellationToken cancellationToken) =>
                RunAsync<FunnelQuery, FunnelResult>(appId, request, apps, query => engine.FunnelAsync(appId, query, cancellationToken)))
            .Accepts<FunnelQuery>("application/json", "*/*")
            .WithName("InsightsFunnels")
            .WithSummary("Persons per step: entry at the first step-1 event in [from, to], later steps in order within the window from entry.");

        insights.MapPost("/funnels/persons", (string appId, HttpRequest request, IAppStore apps, IProfileStore profiles, AnalyticsEngine engine, CancellationToken cancellationToken) =>
                RunAsync<FunnelPersonsQuery, FunnelPersonsResponse>(appId, request, apps, async query =>
                {
                    var page = await engine.FunnelPersonsAsync(appId, query, cancellationToken);
                    return new FunnelPersonsResponse(
                        page.PersonIds.Select(id => new DroppedPerson(id, profiles.Find(appId, id)?.UserId)).ToList(), page.NextCursor);
                }))
            .Accepts<FunnelPersonsQuery>("application/json", "*/*")
            .WithName("InsightsFunnelPersons")
            .WithSummary("The persons who reached a step but not the next (body: {funnel, droppedAfterStep, breakdownValue?, cursor?, limit?}).");

        insights.MapPost("/funnels/time-to-convert", (string appId, int? bins, HttpRequest request, IAppStore apps, AnalyticsEngine engine, CancellationToken cancellationToken) =>
                RunAsync<FunnelQuery, TimeToConvertResult>(appId, request, apps, query => engine.TimeToConvertAsync(appId, query, bins ?? 20, cancellationToken)))
            .Accepts<FunnelQuery>("application/json", "*/*")
            .WithName("InsightsFunnelTimeToConvert")
            .WithSummary("Histogram of the seconds from entry to the last step, for the persons who converted.");

        insights.MapPost("/retention", (string appId, HttpRequest request, IAppStore apps, AnalyticsEngine engine, CancellationToken cancellationToken) =>
                RunAsync<RetentionQuery, RetentionResult>(appId, request, apps, query => engine.RetentionAsync(appId, query, cancellationToken)))
            .Accepts<RetentionQuery>("application/json", "*/*")
            .WithName("InsightsRetention")
            .WithSummary("Cohorts by the period of their first start event, and how many returned in each later period (on, or on or after).");

        insights.MapPost("/paths", (string appId, HttpRequest request, IAppStore apps, AnalyticsEngine engine, CancellationToken cancellationToken) =>
                RunAsync<PathsQuery, PathsResult>(appId, request, apps, query => engine.PathsAsync(appId, query, cancellationToken)))
            .Accepts<PathsQuery>("application/json", "*/*")
            .WithName("InsightsPaths")
            .WithSummary("Sankey nodes and links of what persons did after a start event (or before an end event).");

        insights.MapPost("/lifecycle", (string appId, HttpRequest request, IAppStore apps, AnalyticsEngine engine, CancellationToken cancellationToken) =>
                RunAsync<LifecycleQuery, LifecycleResult>(appId, request, apps, query => engine.LifecycleAsync(appId, query, cancellationToken)))
            .Accepts<LifecycleQuery>("application/json", "*/*")
            .WithName("InsightsLifecycle")
            .WithSummary("Per period, the new, returning, resurrecting and dormant persons.");

        return api;
    }

    /// <summary>Reads the query, runs it, and turns refusals and time-outs into problem details.</summary>
    public static async Task<Results<Ok<TResult>, ProblemHttpResult>> RunAsync<TQuery, TResult>(
        string appId, HttpRequest request, IAppStore apps, Func<TQuery, Task<TResult>> run)
        where TQuery : class
    {
        if (apps.Find(appId) is null) return Problems.NotFound($"No app has the id '{appId}'.");
        var (query, error) = await JsonBody.ReadAsync<TQuery>(request);
        if (error is not null) return Problems.BadRequest(error);
        // Every acknowledged event and profile change counts: wait (bounded) for them to reach the stores read.
        var fresh = request.HttpContext.RequestServices.GetRequiredService<Users.ReadYourWrites>();
        await fresh.EventsAsync(request.HttpContext.RequestAborted);
        await fresh.ProfilesStoredAsync(request.HttpContext.RequestAborted);
        try
        {
            return TypedResults.Ok(await run(query!));
        }
        catch (QueryValidationException ex)
        {
            return Problems.BadRequest(ex.Message, new Dictionary<string, object?> { ["field"] = ex.Field });
        }
        catch (QueryTimeoutException ex)
        {
            return Problems.Create(StatusCodes.Status504GatewayTimeout, "The query took too long.", ex.Message);
        }
    }
}
