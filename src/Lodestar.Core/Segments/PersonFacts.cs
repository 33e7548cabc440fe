using System.Globalization;
using System.Text.Json.Nodes;
using Lodestar.Core.Profiles;

namespace Lodestar.Core.Segments;

/// <summary>
/// Everything <see cref="SegmentEvaluator"/> needs about one person: canonical id, attributes, technology, session
/// count, first seen / last active, and the events the criteria look at, in time order.
/// </summary>
public sealed class PersonFacts
{
    public required string PersonId { get; init; }

    // Technology is immutable, so facts without any share one; attributes (a mutable JSON object) are made on first
    // read only, as the real-time engine builds many facts per person that take both from another.
    private static readonly PersonTechnology NoTechnology = new();
    private JsonObject? _attributes;

    /// <summary>The profile's attributes (not copied: treat as read-only).</summary>
    public JsonObject Attributes
    {
        get => _attributes ??= [];
        init => _attributes = value;
    }

    public PersonTechnology Technology { get; init; } = NoTechnology;

    public int Sessions { get; init; }

    /// <summary>Null when unknown (no profile yet).</summary>
    public DateTimeOffset? FirstSeen { get; init; }

    public DateTimeOffset? LastActive { get; init; }

    /// <summary>The person's events, ordered by time (ties keep their given order).</summary>
    public IReadOnlyList<PersonEvent> Events { get; init; } = [];

    /// <summary>
    /// Facts from a folded profile and the person's events (any order; only the names the criteria reference matter).
    /// Technology is the device seen most recently (ties: the smallest device id); its locale and time zone fall back
    /// to the profile's.
    /// </summary>
    public static PersonFacts From(Profile profile, IEnumerable<PersonEvent> events)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(events);
        Device? device = null;
        foreach (var candidate in profile.Devices.Values)
        {
            if (device is null || candidate.LastSeen > device.LastSeen ||
                (candidate.LastSeen == device.LastSeen && string.CompareOrdinal(candidate.Id, device.Id) < 0))
            {
                device = candidate;
            }
        }

        return new PersonFacts
        {
            PersonId = profile.PersonId,
            Attributes = profile.Attributes,
            Technology = new PersonTechnology(
                device?.OsName, device?.AppVersion, device?.Model, device?.Locale ?? profile.Locale, device?.Timezone ?? profile.Timezone,
                profile.Location.Country),
            Sessions = profile.Sessions,
            FirstSeen = profile.FirstSeen == default ? null : profile.FirstSeen,
            LastActive = profile.LastActive == default ? null : profile.LastActive,
            Events = [.. events.OrderBy(e => e.Time)],
        };
    }

    /// <summary>An attribute as tests see it; <c>$firstSeen</c> and <c>$lastActive</c> are ISO-8601 date strings.</summary>
    public SegmentValue Attribute(string name) => name switch
    {
        AttributeCondition.FirstSeen => DateValue(FirstSeen),
        AttributeCondition.LastActive => DateValue(LastActive),
        _ => SegmentValue.From(Attributes[name]),
    };

    private static SegmentValue DateValue(DateTimeOffset? date) =>
        date is { } d ? SegmentValue.OfString(d.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture)) : default;
}
