namespace Lodestar.Core.Sessions;

/// <summary>
/// Where one device's SDK session stands. Time in app is counted from <see cref="CountedUntil"/> and reported
/// whenever the session pauses, stops, beats or times out.
/// </summary>
public sealed record SessionState
{
    /// <summary>Whether a session is open (active or paused).</summary>
    public bool Open { get; init; }

    /// <summary>When the session was paused; null while it is active.</summary>
    public DateTimeOffset? PausedAt { get; init; }

    /// <summary>Time in app before this instant has already been reported.</summary>
    public DateTimeOffset CountedUntil { get; init; }

    /// <summary>The newest activity seen from the device.</summary>
    public DateTimeOffset LastActivity { get; init; }
}
