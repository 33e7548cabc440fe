namespace Lodestar.Server.Leanplum;

/// <summary>
/// Leanplum's error texts. The Android SDK stops for good on messages starting with the first three, so a
/// wrong key or app id in a shipped app fails quietly instead of retrying forever.
/// </summary>
public static class LeanplumErrors
{
    public const string AppNotFound = "App not found";
    public const string InvalidAccessKey = "Invalid access key";
    public const string DevelopmentModeNotPermitted = "Development mode requested but not permitted";

    public static string MissingArgument(string name) => $"Missing argument {name}.";

    public static string NeedsKey(string action, string kind) => $"{InvalidAccessKey}: {action} needs the app's {kind} key.";

    public static string TooManyActions(int limit) => $"Too many actions in one call: at most {limit} are allowed. Split the batch.";

    public static string TooManyUsers(int limit) => $"Too many users in one call: at most {limit} are allowed. Split the batch.";

    public static string UnknownAction(string action) => $"Unknown action: {action}.";

    public const string Unavailable = "The server could not store the data right now; retry later.";
}
