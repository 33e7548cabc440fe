using System.Text.Json.Nodes;

namespace Lodestar.Core.Profiles;

/// <summary>Everything Lodestar knows about one person of one app, built from their events.</summary>
public sealed class Profile
{
    public required string AppId { get; init; }

    public required string PersonId { get; set; }

    /// <summary>The known user id (login), if the person ever sent one.</summary>
    public string? UserId { get; set; }

    public SortedSet<string> AnonymousIds { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Typed attributes: JSON strings, numbers, booleans, ISO-8601 datetimes and arrays.</summary>
    public JsonObject Attributes { get; init; } = [];

    public DateTimeOffset FirstSeen { get; set; }

    public DateTimeOffset LastActive { get; set; }

    public int Sessions { get; set; }

    public double TimeInAppSeconds { get; set; }

    public Dictionary<string, Device> Devices { get; init; } = new(StringComparer.Ordinal);

    public PersonLocation Location { get; set; } = new();

    public string? Locale { get; set; }

    public string? Timezone { get; set; }

    /// <summary>Consent per category (Segment's <c>context.consent.categoryPreferences</c>).</summary>
    public SortedDictionary<string, bool> Consent { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Channels (email, push, sms, …) the person unsubscribed from.</summary>
    public SortedSet<string> UnsubscribedChannels { get; init; } = new(StringComparer.Ordinal);

    /// <summary>First-touch campaign (utm) data.</summary>
    public JsonObject? Campaign { get; set; }

    /// <summary>
    /// The sequence of the last event folded into this profile. Replays skip events at or below it, which makes
    /// folding idempotent per profile (a checkpoint may save a profile newer than its cursor).
    /// </summary>
    public long LastSequence { get; set; }

    /// <summary>The last raw context applied, so an unchanged context is not parsed again.</summary>
    public string? LastContextJson { get; set; }

    /// <summary>The device the last applied context described, touched again when the same context repeats.</summary>
    public string? LastContextDeviceId { get; set; }

    /// <summary>The user id to show: the known one, else an anonymous id.</summary>
    public string DisplayId => UserId ?? AnonymousIds.FirstOrDefault() ?? PersonId;
}

/// <summary>One device (or browser) of a person.</summary>
public sealed class Device
{
    public required string Id { get; init; }

    public string? Model { get; set; }

    public string? Manufacturer { get; set; }

    public string? Name { get; set; }

    public string? Type { get; set; }

    public string? OsName { get; set; }

    public string? OsVersion { get; set; }

    public string? AppVersion { get; set; }

    public string? AppBuild { get; set; }

    public string? Locale { get; set; }

    public string? Timezone { get; set; }

    /// <summary>Push tokens by kind: <c>ios</c> (APNs), <c>android</c> (FCM), <c>web</c> (Web Push subscription JSON).</summary>
    public SortedDictionary<string, string> PushTokens { get; init; } = new(StringComparer.Ordinal);

    public DateTimeOffset LastSeen { get; set; }
}

/// <summary>Where the person was last seen.</summary>
public sealed record PersonLocation
{
    public string? Country { get; init; }

    public string? Region { get; init; }

    public string? City { get; init; }

    public double? Latitude { get; init; }

    public double? Longitude { get; init; }

    public string? Ip { get; init; }
}
