namespace Lodestar.Core.Segments;

/// <summary>
/// The time range of a behavioral condition. <c>"within": "30d"</c>: now − 30d &lt; t ≤ now. <c>"between": [from, to]</c>:
/// from ≤ t &lt; to (ISO-8601 dates; a date alone is midnight UTC, so <c>to</c> is exclusive). Neither: ever (t ≤ now).
/// An event after the evaluation instant is never counted.
/// </summary>
public sealed record EventWindow(TimeSpan? Within = null, DateTimeOffset? From = null, DateTimeOffset? To = null)
{
    public static readonly EventWindow Ever = new();

    public bool IsEver => Within is null && From is null;

    public bool Contains(DateTimeOffset time, DateTimeOffset now)
    {
        if (time > now) return false;
        if (Within is { } within) return time > now - within;
        if (From is { } from) return time >= from && time < To!.Value;
        return true;
    }
}
