namespace Lodestar.Core.Sessions;

/// <summary>What an SDK call means for the device's session.</summary>
public enum SessionActivity
{
    /// <summary>An app start: always opens a new session.</summary>
    Start,

    /// <summary>A start the app made in the background: keeps the session going but does not count a new one.</summary>
    BackgroundStart,

    Stop,
    Pause,
    Resume,

    /// <summary>A periodic heartbeat: reports the time in app so far.</summary>
    Heartbeat,

    /// <summary>Any other call (track, advance, attributes…): activity within the session.</summary>
    Other,
}
