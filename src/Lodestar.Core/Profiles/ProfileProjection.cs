using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lodestar.Core.Events;

namespace Lodestar.Core.Profiles;

/// <summary>
/// Folds events into profiles. Pure: the same events in the same order give the same profile, which is
/// what lets the profile store be rebuilt from the event store after a crash.
/// </summary>
public static class ProfileProjection
{
    /// <summary>Sources whose sessions are explicit (an SDK <c>start</c>); others get sessions by inactivity.</summary>
    private const string ExplicitSessionSource = "leanplum";

    /// <summary>Segment-style sources have no session call: a gap this long starts a new one.</summary>
    public static readonly TimeSpan InactivitySessionGap = TimeSpan.FromMinutes(30);

    public static Profile NewProfile(string appId, string personId) => new() { AppId = appId, PersonId = personId };

    public static void Apply(Profile profile, StoredEvent stored)
    {
        var e = stored.Event;
        var time = e.Timestamp;
        bool first = profile.FirstSeen == default;

        if (e.UserId is { Length: > 0 } userId) profile.UserId = userId;
        if (e.AnonymousId is { Length: > 0 } anonymousId) profile.AnonymousIds.Add(anonymousId);

        if (!e.Internal)
        {
            bool implicitSession = e.Source != ExplicitSessionSource &&
                                   e.Type is EventTypes.Track or EventTypes.Page or EventTypes.Screen &&
                                   (profile.Sessions == 0 || time - profile.LastActive > InactivitySessionGap);
            if (implicitSession) profile.Sessions++;
        }

        if (first || time < profile.FirstSeen) profile.FirstSeen = time;
        if (first || time > profile.LastActive) profile.LastActive = time;

        if (e.ContextJson is { } context && !string.Equals(context, profile.LastContextJson, StringComparison.Ordinal))
        {
            ApplyContext(profile, e, context, time);
            profile.LastContextJson = context;
        }
        else if (e.ContextJson is not null && profile.LastContextDeviceId is { } deviceId && profile.Devices.TryGetValue(deviceId, out var device) && time > device.LastSeen)
        {
            device.LastSeen = time;
        }

        if (e.Type == EventTypes.Identify && e.ProfileChanges is null && e.PropertiesJson is { } traits)
            SetAttributes(profile, traits);

        if (e.ProfileChanges is { } changes) ApplyChanges(profile, changes);
    }

    /// <summary>Merges <paramref name="loser"/> (typically the anonymous person) into <paramref name="winner"/>; the winner's values win conflicts.</summary>
    public static void Merge(Profile winner, Profile loser)
    {
        foreach (var (name, value) in loser.Attributes)
        {
            if (!winner.Attributes.ContainsKey(name)) winner.Attributes[name] = value?.DeepClone();
        }

        if (winner.FirstSeen == default || (loser.FirstSeen != default && loser.FirstSeen < winner.FirstSeen)) winner.FirstSeen = loser.FirstSeen;
        if (loser.LastActive > winner.LastActive) winner.LastActive = loser.LastActive;
        winner.Sessions += loser.Sessions;
        winner.TimeInAppSeconds += loser.TimeInAppSeconds;
        winner.UserId ??= loser.UserId;
        winner.AnonymousIds.UnionWith(loser.AnonymousIds);
        foreach (var (id, device) in loser.Devices)
        {
            if (!winner.Devices.TryGetValue(id, out var existing) || existing.LastSeen < device.LastSeen) winner.Devices[id] = device;
        }

        winner.Location = MergeLocation(winner.Location, loser.Location);
        winner.Locale ??= loser.Locale;
        winner.Timezone ??= loser.Timezone;
        foreach (var (category, allowed) in loser.Consent) winner.Consent.TryAdd(category, allowed);
        winner.UnsubscribedChannels.UnionWith(loser.UnsubscribedChannels);
        winner.Campaign ??= loser.Campaign?.DeepClone().AsObject();
    }

    /// <summary>The attribute's type as analytics and segments see it.</summary>
    public static string AttributeType(JsonNode? value) => value switch
    {
        null => "null",
        JsonArray => "list",
        JsonObject => "object",
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => "number",
        JsonValue v when v.TryGetValue(out string? s) && LooksLikeDateTime(s) => "datetime",
        _ => "string",
    };

    public static bool LooksLikeDateTime(string? text) =>
        text is { Length: >= 10 and <= 40 } && char.IsAsciiDigit(text[0]) && text[4] == '-' &&
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _);

    private static void ApplyChanges(Profile profile, ProfileChanges changes)
    {
        if (changes.SessionStart) profile.Sessions++;
        if (changes.TimeInAppSeconds is > 0 and var seconds) profile.TimeInAppSeconds += seconds;
        if (changes.SetJson is { } set) SetAttributes(profile, set);

        if (changes.AddJson is { } add && ParseObject(add) is { } additions)
        {
            foreach (var (name, value) in additions)
            {
                var list = ListAttribute(profile, name);
                foreach (var item in Items(value))
                {
                    if (!list.Any(existing => JsonNode.DeepEquals(existing, item))) list.Add(item?.DeepClone());
                }
            }
        }

        if (changes.RemoveJson is { } remove && ParseObject(remove) is { } removals)
        {
            foreach (var (name, value) in removals)
            {
                if (profile.Attributes[name] is not JsonArray list) continue;
                foreach (var item in Items(value))
                {
                    for (int i = list.Count - 1; i >= 0; i--)
                    {
                        if (JsonNode.DeepEquals(list[i], item)) list.RemoveAt(i);
                    }
                }
            }
        }

        if (changes.IncrementJson is { } increment && ParseObject(increment) is { } increments)
        {
            foreach (var (name, value) in increments)
            {
                if (value is not JsonValue v || !v.TryGetValue(out double by)) continue;
                double current = profile.Attributes[name] is JsonValue c && c.TryGetValue(out double n) ? n : 0;
                profile.Attributes[name] = current + by;
            }
        }

        if (changes.UnsubscribeChannelsToAdd is { } unsubscribe) profile.UnsubscribedChannels.UnionWith(unsubscribe);
        if (changes.UnsubscribeChannelsToRemove is { } resubscribe) profile.UnsubscribedChannels.ExceptWith(resubscribe);
    }

    private static JsonArray ListAttribute(Profile profile, string name)
    {
        if (profile.Attributes[name] is JsonArray list) return list;
        var created = new JsonArray();
        if (profile.Attributes[name] is { } scalar) created.Add(scalar.DeepClone());
        profile.Attributes[name] = created;
        return created;
    }

    // Not "[value]": next to a JsonArray that collection expression becomes a JsonArray, which throws for a node that has a parent.
    private static IEnumerable<JsonNode?> Items(JsonNode? value) => value is JsonArray array ? array : new[] { value };

    private static void SetAttributes(Profile profile, string json)
    {
        if (ParseObject(json) is not { } attributes) return;
        foreach (var (name, value) in attributes) profile.Attributes[name] = value?.DeepClone();
    }

    private static JsonObject? ParseObject(string json)
    {
        try
        {
            return JsonNode.Parse(json) as JsonObject;
        }
        catch (JsonException)
        {
            // Ingestion validated the JSON; a row that still fails (a hand-edited store) changes nothing.
            return null;
        }
    }

    private static string DeviceId(IncomingEvent e, JsonObject? device) =>
        (device?["id"] as JsonValue)?.ToString() is { Length: > 0 } id ? id : e.AnonymousId ?? "default";

    private static Device TouchDevice(Profile profile, string id, DateTimeOffset time)
    {
        if (!profile.Devices.TryGetValue(id, out var device))
        {
            device = new Device { Id = id, LastSeen = time };
            profile.Devices[id] = device;
        }
        else if (time > device.LastSeen)
        {
            device.LastSeen = time;
        }

        return device;
    }

    private static void ApplyContext(Profile profile, IncomingEvent e, string contextJson, DateTimeOffset time)
    {
        if (ParseObject(contextJson) is not { } context) return;
        var deviceNode = context["device"] as JsonObject;
        // A context that says nothing about a device (a server-side library's) must not invent one.
        bool describesDevice = deviceNode is not null || context["os"] is JsonObject || context["app"] is JsonObject;
        profile.LastContextDeviceId = describesDevice ? DeviceId(e, deviceNode) : null;
        // Only the newest message describes the device and the person as they are now.
        var device = describesDevice ? TouchDevice(profile, profile.LastContextDeviceId!, time) : null;
        if (time >= profile.LastActive) ApplyPersonContext(profile, context);
        if (device is null || time < device.LastSeen) return;

        if (deviceNode is not null)
        {
            device.Model = Keep(Text(deviceNode, "model"), device.Model);
            device.Manufacturer = Keep(Text(deviceNode, "manufacturer"), device.Manufacturer);
            device.Name = Keep(Text(deviceNode, "name"), device.Name);
            device.Type = Keep(Text(deviceNode, "type"), device.Type);
            if (Text(deviceNode, "token") is { } token)
            {
                string kind = PushKind(device.Type ?? Text(context["os"] as JsonObject, "name"));
                device.PushTokens[kind] = token;
            }

            if (deviceNode["webPushSubscription"] is { } web) device.PushTokens["web"] = web is JsonValue ? web.ToString() : web.ToJsonString();
        }

        if (context["os"] is JsonObject os)
        {
            device.OsName = Keep(Text(os, "name"), device.OsName);
            device.OsVersion = Keep(Text(os, "version"), device.OsVersion);
        }

        if (context["app"] is JsonObject app)
        {
            device.AppVersion = Keep(Text(app, "version"), device.AppVersion);
            device.AppBuild = Keep(Text(app, "build"), device.AppBuild);
        }

        device.Locale = Keep(Text(context, "locale"), device.Locale);
        device.Timezone = Keep(Text(context, "timezone"), device.Timezone);
    }

    private static void ApplyPersonContext(Profile profile, JsonObject context)
    {
        profile.Locale = Keep(Text(context, "locale"), profile.Locale);
        profile.Timezone = Keep(Text(context, "timezone"), profile.Timezone);

        var location = context["location"] as JsonObject;
        string? ip = Text(context, "ip");
        if (location is not null || ip is not null)
        {
            profile.Location = MergeLocation(new PersonLocation
            {
                Country = Text(location, "country"),
                Region = Text(location, "region"),
                City = Text(location, "city"),
                Latitude = Number(location, "latitude"),
                Longitude = Number(location, "longitude"),
                Ip = ip,
            }, profile.Location);
        }

        if (context["campaign"] is JsonObject campaign && profile.Campaign is null) profile.Campaign = campaign.DeepClone().AsObject();

        if ((context["consent"] as JsonObject)?["categoryPreferences"] is JsonObject preferences)
        {
            foreach (var (category, value) in preferences)
            {
                if (value is JsonValue v && v.TryGetValue(out bool allowed)) profile.Consent[category] = allowed;
            }
        }
    }

    private static string PushKind(string? platform) => platform?.ToLowerInvariant() switch
    {
        "ios" or "ipados" or "iphone os" => "ios",
        "android" => "android",
        _ => platform?.ToLowerInvariant() ?? "unknown",
    };

    private static PersonLocation MergeLocation(PersonLocation preferred, PersonLocation fallback) => new()
    {
        Country = preferred.Country ?? fallback.Country,
        Region = preferred.Region ?? fallback.Region,
        City = preferred.City ?? fallback.City,
        Latitude = preferred.Latitude ?? fallback.Latitude,
        Longitude = preferred.Longitude ?? fallback.Longitude,
        Ip = preferred.Ip ?? fallback.Ip,
    };

    // An unchanged text keeps the profile's instance; a new one is shared through the pool. Profiles repeat the same
    // few device, OS, app-version, locale and time-zone texts, and each held copies of its own: 18 MB over 50,000
    // profiles in the ingestion benchmark, up to 200,000 profiles are cached.
    private static string? Keep(string? text, string? current) =>
        text is null || text == current ? current : SharedTexts.Share(text);

    private static string? Text(JsonObject? node, string name) =>
        node?[name] is JsonValue value && value.GetValueKind() is JsonValueKind.String or JsonValueKind.Number
            ? value.ToString()
            : null;

    private static double? Number(JsonObject? node, string name) =>
        node?[name] is JsonValue value && value.TryGetValue(out double number) ? number : null;
}
