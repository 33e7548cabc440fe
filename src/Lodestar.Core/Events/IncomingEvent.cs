namespace Lodestar.Core.Events;

/// <summary>
/// One normalised message on its way into the event store: whatever protocol it came through
/// (Segment spec, Leanplum API, import), it arrives here validated, with its clock skew corrected.
/// JSON fields hold the raw JSON object text so the hot path never re-serialises them.
/// </summary>
public sealed record IncomingEvent
{
    public required string Type { get; init; }

    public required string Name { get; init; }

    /// <summary>The known (logged-in) user id, if the client sent one.</summary>
    public string? UserId { get; init; }

    /// <summary>The anonymous or device id, if the client sent one.</summary>
    public string? AnonymousId { get; init; }

    /// <summary>For alias: the id being merged into <see cref="UserId"/>.</summary>
    public string? PreviousId { get; init; }

    /// <summary>De-duplication key; a resend with the same key is stored once.</summary>
    public string? MessageId { get; init; }

    /// <summary>When it happened, in UTC, after clock-skew correction.</summary>
    public required DateTimeOffset Timestamp { get; init; }

    public double? Value { get; init; }

    /// <summary>Event properties (or traits, for identify) as a JSON object text.</summary>
    public string? PropertiesJson { get; init; }

    /// <summary>Segment-style context (device, os, app, locale, timezone, ip, campaign, location) as JSON object text.</summary>
    public string? ContextJson { get; init; }

    /// <summary>Changes to the person's profile this message carries.</summary>
    public ProfileChanges? ProfileChanges { get; init; }

    /// <summary>Which protocol delivered it: <c>segment</c>, <c>leanplum</c>, <c>import</c>.</summary>
    public string Source { get; init; } = "segment";

    /// <summary>When true, the message changes identity or profile only and is not shown as a user event.</summary>
    public bool Internal { get; init; }
}
