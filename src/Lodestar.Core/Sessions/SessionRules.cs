namespace Lodestar.Core.Sessions;

/// <summary>
/// Leanplum's session rules, pure: a session starts with an SDK <c>start</c>, ends with <c>stop</c>, 30 minutes
/// after a pause, or after 2 hours without activity. Time in app is the session's length minus its pauses.
/// </summary>
public static class SessionRules
{
    public static readonly TimeSpan PauseTimeout = TimeSpan.FromMinutes(30);

    public static readonly TimeSpan IdleTimeout = TimeSpan.FromHours(2);

    /// <summary>The outcome of one call: the new state, whether it began a session, and time in app to report.</summary>
    public readonly record struct Step(SessionState State, bool SessionStart, double? TimeInAppSeconds);

    public static Step Apply(SessionState? state, SessionActivity activity, DateTimeOffset time)
    {
        double counted = 0;
        bool timedOut = false;
        var current = state ?? new SessionState();

        // A session that timed out ended at its last activity (idle) or at its pause.
        if (current.Open && current.PausedAt is null && time - current.LastActivity > IdleTimeout)
        {
            counted += Seconds(current.CountedUntil, current.LastActivity);
            current = current with { Open = false };
            timedOut = true;
        }
        else if (current.Open && current.PausedAt is { } pausedAt && time - pausedAt > PauseTimeout)
        {
            current = current with { Open = false, PausedAt = null };
            timedOut = true;
        }

        bool active = current.Open && current.PausedAt is null;
        bool sessionStart = false;
        var lastActivity = Max(current.LastActivity, time);
        SessionState next;
        switch (activity)
        {
            case SessionActivity.Start or SessionActivity.BackgroundStart:
                // A start while a session is open means the app was killed: count up to its last activity.
                if (active) counted += Seconds(current.CountedUntil, current.LastActivity);
                sessionStart = activity == SessionActivity.Start || !current.Open;
                next = new SessionState { Open = true, CountedUntil = time, LastActivity = lastActivity };
                break;
            case SessionActivity.Stop:
                if (active) counted += Seconds(current.CountedUntil, time);
                next = current with { Open = false, PausedAt = null, LastActivity = lastActivity };
                break;
            case SessionActivity.Pause:
                if (active) counted += Seconds(current.CountedUntil, time);
                next = current.Open
                    ? current with { PausedAt = current.PausedAt ?? time, CountedUntil = Max(current.CountedUntil, time), LastActivity = lastActivity }
                    : current with { LastActivity = lastActivity };
                break;
            case SessionActivity.Resume:
                // Resuming after the pause timed out starts a new session, as a fresh start would.
                sessionStart = !current.Open;
                next = new SessionState { Open = true, CountedUntil = time, LastActivity = lastActivity };
                break;
            case SessionActivity.Heartbeat:
                if (active) counted += Seconds(current.CountedUntil, time);
                sessionStart = timedOut;
                next = current.PausedAt is null
                    ? new SessionState { Open = true, CountedUntil = active ? Max(current.CountedUntil, time) : time, LastActivity = lastActivity }
                    : current with { LastActivity = lastActivity };
                break;
            default:
                // Activity right after a session timed out opens a new one; calls from a device with no
                // session (server-side API callers, a backgrounded app after stop) do not invent sessions.
                if (timedOut)
                {
                    sessionStart = true;
                    next = new SessionState { Open = true, CountedUntil = time, LastActivity = lastActivity };
                }
                else
                {
                    next = current with { LastActivity = lastActivity };
                }

                break;
        }

        return new Step(next, sessionStart, counted > 0 ? counted : null);
    }

    private static double Seconds(DateTimeOffset from, DateTimeOffset to) => to > from ? (to - from).TotalSeconds : 0;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
