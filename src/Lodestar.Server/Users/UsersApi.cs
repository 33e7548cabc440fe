using System.Text.Json;
using System.Text.Json.Nodes;
using Lodestar.Analytics;
using Lodestar.Core.Apps;
using Lodestar.Core.Events;
using Lodestar.Core.Profiles;
using Lodestar.Engine.Ingestion;
using Lodestar.Engine.Profiles;
using Lodestar.Server.Hosting;
using Lodestar.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Lodestar.Server.Users;

/// <summary>Profiles and event histories: <c>/api/v1/apps/{appId}/users</c>.</summary>
public static class UsersApi
{
    public const int MaxEventsLimit = 10_000;

    public sealed record DeviceResponse(
        string Id, string? Model, string? Manufacturer, string? Name, string? Type, string? OsName, string? OsVersion,
        string? AppVersion, string? AppBuild, string? Locale, string? Timezone, IReadOnlyDictionary<string, string> PushTokens,
        DateTimeOffset LastSeen);

    public sealed record ProfileResponse(
        string UserId,
        string PersonId,
        IReadOnlyList<string> AnonymousIds,
        JsonObject Attributes,
        IReadOnlyDictionary<string, string> AttributeTypes,
        DateTimeOffset FirstSeen,
        DateTimeOffset LastActive,
        int Sessions,
        double TimeInAppSeconds,
        IReadOnlyList<DeviceResponse> Devices,
        PersonLocation Location,
        string? Locale,
        string? Timezone,
        IReadOnlyDictionary<string, bool> Consent,
        IReadOnlyList<string> UnsubscribedChannels,
        JsonObject? Campaign,
        double EngagementScore = 0);

    public sealed record EventResponse(
        string Name, string Type, DateTimeOffset Time, double? Value, JsonElement? Properties, JsonElement? Context,
        string? UserId, string? AnonymousId, string? MessageId, DateTimeOffset ReceivedAt);

    public sealed record EventListResponse(IReadOnlyList<EventResponse> Events);

    public static RouteGroupBuilder MapUsersApi(this RouteGroupBuilder api)
    {
        var users = api.MapGroup("/apps/{appId}/users").WithTags("Users");

        users.MapGet("/{userId}", async Task<Results<Ok<ProfileResponse>, ProblemHttpResult>> (
            string appId, string userId, IAppStore apps, PersonLookup lookup,
            ProfileProjector projector, ReadYourWrites fresh, AnalyticsEngine analytics, CancellationToken cancellationToken) =>
        {
            if (apps.Find(appId) is null) return Problems.NotFound($"No app has the id '{appId}'.");
            await fresh.ProfilesAsync(cancellationToken);
            if (lookup.Find(appId, userId) is not { } personId || projector.Find(appId, personId) is not { } profile)
                return Problems.NotFound($"No user '{userId}' in app '{appId}'.");
            await fresh.EventsAsync(cancellationToken);
            return TypedResults.Ok(ToResponse(profile) with { EngagementScore = await analytics.EngagementScoreAsync(appId, personId, cancellationToken) });
        })
        .WithName("GetUser").WithSummary("A person's profile, found by any of their ids (user id, anonymous or device id).");

        users.MapGet("/{userId}/events", async Task<Results<Ok<EventListResponse>, ProblemHttpResult>> (
            string appId, string userId, int? limit, IAppStore apps, PersonLookup lookup, IEventStore events, ReadYourWrites fresh, CancellationToken cancellationToken) =>
        {
            await fresh.EventsAsync(cancellationToken);
            if (apps.Find(appId) is null) return Problems.NotFound($"No app has the id '{appId}'.");
            int take = limit ?? 100;
            if (take is < 1 or > MaxEventsLimit) return Problems.BadRequest($"limit must be between 1 and {MaxEventsLimit}.");
            if (lookup.Find(appId, userId) is not { } personId) return Problems.NotFound($"No user '{userId}' in app '{appId}'.");
            var list = events.PersonEvents(appId, personId, take, includeInternal: false).Select(ToResponse).ToList();
            return TypedResults.Ok(new EventListResponse(list));
        })
        .WithName("GetUserEvents").WithSummary("A person's events (all their ids merged), newest first.");

        return api;
    }

    private static ProfileResponse ToResponse(Profile p) => new(
        p.DisplayId,
        p.PersonId,
        [.. p.AnonymousIds],
        p.Attributes,
        p.Attributes.ToDictionary(a => a.Key, a => ProfileProjection.AttributeType(a.Value)),
        p.FirstSeen,
        p.LastActive,
        p.Sessions,
        p.TimeInAppSeconds,
        p.Devices.Values.OrderByDescending(d => d.LastSeen).Select(d => new DeviceResponse(
            d.Id, d.Model, d.Manufacturer, d.Name, d.Type, d.OsName, d.OsVersion, d.AppVersion, d.AppBuild, d.Locale, d.Timezone,
            d.PushTokens, d.LastSeen)).ToList(),
        p.Location,
        p.Locale,
        p.Timezone,
        p.Consent,
        [.. p.UnsubscribedChannels],
        p.Campaign);

    private static EventResponse ToResponse(StoredEvent stored)
    {
        var e = stored.Event;
        return new EventResponse(e.Name, e.Type, e.Timestamp, e.Value, Json(e.PropertiesJson), Json(e.ContextJson),
            e.UserId, e.AnonymousId, e.MessageId, stored.ReceivedAt);
    }

    private static JsonElement? Json(string? text)
    {
        if (text is null) return null;
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
