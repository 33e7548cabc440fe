namespace Lodestar.Engine.Ingestion.Leanplum;

/// <summary>Parameter names of the Leanplum API, as the SDKs spell them.</summary>
public static class LeanplumParams
{
    public const string Action = "action";
    public const string AppId = "appId";
    public const string ClientKey = "clientKey";
    public const string Client = "client";
    public const string SdkVersion = "sdkVersion";
    public const string DevMode = "devMode";
    public const string DeviceId = "deviceId";
    public const string UserId = "userId";
    public const string NewUserId = "newUserId";
    public const string VersionName = "versionName";
    public const string AppVersion = "appVersion";
    public const string Time = "time";
    public const string Data = "data";
    public const string RequestId = "reqId";
    public const string BatchId = "uuid";
    public const string Event = "event";
    public const string Value = "value";
    public const string Info = "info";
    public const string Params = "params";
    public const string CurrencyCode = "currencyCode";
    public const string MessageId = "messageId";
    public const string State = "state";
    public const string UserAttributes = "userAttributes";
    public const string NewsfeedMessageId = "newsfeedMessageId";
    public const string NewsfeedMessages = "newsfeedMessages";
    public const string Background = "background";
}

/// <summary>The actions of the Leanplum API.</summary>
public static class LeanplumActions
{
    public const string Multi = "multi";
    public const string Start = "start";
    public const string Stop = "stop";
    public const string Restart = "restart";
    public const string Heartbeat = "heartbeat";
    public const string PauseSession = "pauseSession";
    public const string ResumeSession = "resumeSession";
    public const string PauseState = "pauseState";
    public const string ResumeState = "resumeState";
    public const string Track = "track";
    public const string TrackGeofence = "trackGeofence";
    public const string Advance = "advance";
    public const string SetUserAttributes = "setUserAttributes";
    public const string SetDeviceAttributes = "setDeviceAttributes";
    public const string SetTrafficSourceInfo = "setTrafficSourceInfo";
    public const string RegisterDevice = "registerDevice";
    public const string GetVars = "getVars";
    public const string SetVars = "setVars";
    public const string GetNewsfeedMessages = "getNewsfeedMessages";
    public const string MarkNewsfeedMessageAsRead = "markNewsfeedMessageAsRead";
    public const string DeleteNewsfeedMessage = "deleteNewsfeedMessage";
    public const string GetMigrateState = "getMigrateState";
    public const string DeleteUser = "deleteUser";
    public const string ExportUser = "exportUser";
    public const string ExportData = "exportData";
    public const string Log = "log";
}
