namespace Lodestar.Core.Events;

/// <summary>The kinds of message an event row can hold, as stored in the <c>type</c> column.</summary>
public static class EventTypes
{
    public const string Track = "track";
    public const string Identify = "identify";
    public const string Page = "page";
    public const string Screen = "screen";
    public const string Group = "group";
    public const string Alias = "alias";

    /// <summary>Entering a state of the app (Leanplum <c>advance</c>): analysed beside events, like Leanplum does.</summary>
    public const string State = "state";

    /// <summary>Names given to events whose type has no name of its own.</summary>
    public static string DefaultName(string type) => type switch
    {
        Identify => "$identify",
        Page => "$page",
        Screen => "$screen",
        Group => "$group",
        Alias => "$alias",
        _ => "$" + type,
    };
}
