using Lodestar.Core.Apps;
using Lodestar.Core.Segments;
using Lodestar.Engine.Ingestion;
using Lodestar.Engine.Segments;
using Lodestar.Server.Hosting;
using Lodestar.Server.Http;
using Lodestar.Server.Users;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Lodestar.Server.Segments;

/// <summary>A person's real-time segment memberships: <c>/api/v1/apps/{appId}/users/{userId}/segments</c>.</summary>
public static class UserSegmentsApi
{
    public sealed record MembershipResponse(string Id, string Name, DateTimeOffset EnteredAt);

    public sealed record UserSegmentsResponse(IReadOnlyList<MembershipResponse> Segments);

    public static RouteGroupBuilder MapUserSegmentsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/apps/{appId}/users/{userId}/segments", async Task<Results<Ok<UserSegmentsResponse>, ProblemHttpResult>> (
            string appId, string userId, IAppStore apps, PersonLookup lookup, ISegmentMembershipStore memberships,
            SegmentRouter router, IngestionPipeline pipeline, IOptions<LodestarOptions> options, IServiceProvider services,
            CancellationToken cancellationToken) =>
        {
            if (apps.Find(appId) is null) return Problems.NotFound($"No app has the id '{appId}'.");
            // Include every event already acknowledged to clients (bounded, like profile reads).
            await router.WaitForAsync(pipeline.CommittedSequence, options.Value.ProfileReadWait, cancellationToken);
            if (lookup.Find(appId, userId) is not { } personId) return Problems.NotFound($"No user '{userId}' in app '{appId}'.");
            var store = services.GetService<ISegmentStore>();
            var list = memberships.Memberships(appId, personId)
                .Select(m => new MembershipResponse(m.Key, store?.Find(appId, m.Key)?.Name ?? m.Key, m.Value))
                .OrderBy(m => m.EnteredAt).ThenBy(m => m.Id, StringComparer.Ordinal)
                .ToList();
            return TypedResults.Ok(new UserSegmentsResponse(list));
        })
        .WithTags("Users")
        .WithName("GetUserSegments")
        .WithSummary("The segments a person (found by any of their ids) is in now, with the time they entered each.");
        return api;
    }
}
