namespace Lodestar.Engine.Ingestion.Leanplum;

/// <summary>Names of the events Leanplum calls are stored as, where the call has no name of its own.</summary>
public static class LeanplumEventNames
{
    public const string Start = "$start";
    public const string Stop = "$stop";
    public const string Heartbeat = "$heartbeat";
    public const string PauseSession = "$pauseSession";
    public const string ResumeSession = "$resumeSession";
    public const string PauseState = "$pauseState";
    public const string ResumeState = "$resumeState";
    public const string LeaveState = "$leaveState";
    public const string Identify = "$identify";
    public const string DeviceAttributes = "$setDeviceAttributes";
    public const string TrafficSource = "$setTrafficSourceInfo";
    public const string RegisterDevice = "$registerDevice";
    public const string NewsfeedMessageRead = "$newsfeedMessageRead";
    public const string NewsfeedMessageDeleted = "$newsfeedMessageDeleted";

    /// <summary>Message events (impressions, accepts, opens) are named <c>$message:View</c>, <c>$message:Open</c>, …</summary>
    public const string MessagePrefix = "$message:";

    /// <summary>The event of a message impression (Leanplum sends no event name for it).</summary>
    public const string MessageView = "View";
}
