using System.Globalization;
using System.Text.Json.Nodes;
using Lodestar.Core.Events;
using Lodestar.Core.Identity;
using Lodestar.Core.Profiles;
using Lodestar.Engine.Ingestion;
using Lodestar.Engine.Profiles;
using Lodestar.Server.Hosting;
using Lodestar.Server.Users;
using Microsoft.Extensions.Options;

namespace Lodestar.Server.Leanplum;

/// <summary>The Leanplum calls that read or erase a person: <c>exportUser</c>, <c>deleteUser</c>.</summary>
public sealed partial class LeanplumUserData(
    PersonLookup lookup,
    IIdentityStore identities,
    IEventStore events,
    IngestionPipeline pipeline,
    ProfileProjector projector,
    ReadYourWrites fresh,
    LeanplumSessions sessions,
    IEnumerable<IPersonDataEraser> erasers,
    IOptions<LodestarOptions> hostOptions,
    IOptions<LeanplumOptions> options,
    ILogger<LeanplumUserData> logger)
{
    /// <summary>The event store, for exports.</summary>
    public IEventStore Events => events;

    /// <summary>Waits until the event store holds every acknowledged event.</summary>
    public Task EventsCaughtUpAsync(CancellationToken cancellationToken) => fresh.EventsAsync(cancellationToken);

    /// <summary>
    /// Erases the person the id belongs to: events, profile, identities, sessions, and whatever every registered
    /// <see cref="IPersonDataEraser"/> keeps. False when nobody has the id.
    /// </summary>
    public async Task<bool> DeleteAsync(string appId, string id, CancellationToken cancellationToken)
    {
        var timeout = hostOptions.Value.ProfileReadWait;
        // On the writer, between commits: no event of this person can be appended while it is erased.
        var erased = await pipeline.RunExclusiveAsync(() =>
        {
            if (lookup.Find(appId, id) is not { } personId) return (long?)null;
            // Let the projector fold what is already stored, so it does not write the profile back afterwards.
            projector.WaitForAsync(pipeline.CommittedSequence, timeout, CancellationToken.None).GetAwaiter().GetResult();
            // And let the event store take every logged event, so none of the person's comes back after the erase.
            fresh.EventsNow();
            var deviceIds = identities.IdsOf(appId, personId)
                .Where(d => d.StartsWith("a:", StringComparison.Ordinal)).Select(d => d[2..]).ToList();
            // The other stores keyed by person (inbox, A/B-test assignments, impression counts, ...), while the person's
            // ids and events still lead to everything kept under their devices and merged-away persons.
            foreach (var eraser in erasers) eraser.EraseAsync(appId, personId, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            long count = events.DeletePerson(appId, personId);
            identities.Delete(appId, personId);
            projector.Erase(appId, personId);
            sessions.Forget(appId, deviceIds);
            return count;
        }, cancellationToken).ConfigureAwait(false);

        if (erased is null) return false;
        LogErased(logger, appId, erased.Value);
        return true;
    }

    /// <summary>The person in Leanplum's <c>exportUser</c> shape, or null when nobody has the id.</summary>
    public async Task<JsonObject?> ExportAsync(string appId, string id, CancellationToken cancellationToken)
    {
        await fresh.ProfilesAsync(cancellationToken).ConfigureAwait(false);
        await fresh.EventsAsync(cancellationToken).ConfigureAwait(false);
        if (lookup.Find(appId, id) is not { } personId || projector.Find(appId, personId) is not { } profile) return null;

        var history = events.PersonEvents(appId, personId, options.Value.MaxExportUserEvents, includeInternal: false);
        var result = new JsonObject
        {
            ["userId"] = profile.DisplayId,
            ["userAttributes"] = profile.Attributes.DeepClone(),
            ["events"] = Summary(history.Where(e => e.Event.Type != EventTypes.State)),
            ["states"] = Summary(history.Where(e => e.Event.Type == EventTypes.State)),
            ["created"] = Seconds(profile.FirstSeen),
            ["lastActive"] = Seconds(profile.LastActive),
            ["totalSessions"] = profile.Sessions,
            ["timeSpentInApp"] = Math.Round(profile.TimeInAppSeconds, 3),
            ["locale"] = profile.Locale,
            ["country"] = profile.Location.Country,
            ["region"] = profile.Location.Region,
            ["city"] = profile.Location.City,
            ["location"] = profile.Location.Latitude is { } lat && profile.Location.Longitude is { } lon
                ? string.Create(CultureInfo.InvariantCulture, $"{lat},{lon}")
                : null,
            ["timezone"] = profile.Timezone,
            ["unsubscribeChannels"] = new JsonArray([.. profile.UnsubscribedChannels.Select(c => JsonValue.Create(c))]),
            ["unsubscribeCategories"] = new JsonArray(),
            ["devices"] = new JsonArray([.. profile.Devices.Values.OrderByDescending(d => d.LastSeen).Select(Device)]),
        };
        return result;
    }

    private static JsonObject Summary(IEnumerable<StoredEvent> history)
    {
        var summary = new JsonObject();
        // Newest first: the first row seen of a name is its last occurrence.
        foreach (var stored in history)
        {
            var e = stored.Event;
            double time = Seconds(e.Timestamp);
            if (summary[e.Name] is JsonObject existing)
            {
                existing["count"] = existing["count"]!.GetValue<long>() + 1;
                existing["value"] = existing["value"]!.GetValue<double>() + (e.Value ?? 0);
                existing["firstTime"] = time;
            }
            else
            {
                summary[e.Name] = new JsonObject { ["count"] = 1L, ["value"] = e.Value ?? 0, ["firstTime"] = time, ["lastTime"] = time };
            }
        }

        return summary;
    }

    private static JsonObject Device(Device d)
    {
        var device = new JsonObject
        {
            ["deviceId"] = d.Id,
            ["appVersion"] = d.AppVersion,
            ["systemName"] = d.OsName,
            ["systemVersion"] = d.OsVersion,
            ["deviceModel"] = d.Model,
            ["deviceName"] = d.Name,
            ["lastActive"] = Seconds(d.LastSeen),
        };
        if (d.PushTokens.TryGetValue("ios", out var ios)) device["iosPushToken"] = ios;
        if (d.PushTokens.TryGetValue("android", out var android)) device["gcmRegistrationId"] = android;
        if (d.PushTokens.TryGetValue("web", out var web)) device["webPushSubscription"] = web;
        return device;
    }

    private static double Seconds(DateTimeOffset time) => time.ToUnixTimeMilliseconds() / 1000.0;

    [LoggerMessage(4101, LogLevel.Information, "Erased a person of app {AppId} on request (deleteUser): {Events} events")]
    private static partial void LogErased(ILogger logger, string appId, long events);
}
