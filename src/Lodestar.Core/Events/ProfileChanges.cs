using System.Text.Json.Serialization;

namespace Lodestar.Core.Events;

/// <summary>
/// What a message changes on the person's profile. Every field is JSON text or a plain value so the
/// change can be stored beside the event and replayed after a restart.
/// </summary>
public sealed record ProfileChanges
{
    /// <summary>Attributes to set (JSON object).</summary>
    [JsonPropertyName("set")]
    public string? SetJson { get; init; }

    /// <summary>Values to add to list attributes (JSON object of name → value or array).</summary>
    [JsonPropertyName("add")]
    public string? AddJson { get; init; }

    /// <summary>Values to remove from list attributes (JSON object of name → value or array).</summary>
    [JsonPropertyName("remove")]
    public string? RemoveJson { get; init; }

    /// <summary>Numbers to add to numeric attributes (JSON object of name → number).</summary>
    [JsonPropertyName("increment")]
    public string? IncrementJson { get; init; }

    /// <summary>Channels the person unsubscribed from / resubscribed to.</summary>
    [JsonPropertyName("unsubscribeChannelsToAdd")]
    public IReadOnlyList<string>? UnsubscribeChannelsToAdd { get; init; }

    [JsonPropertyName("unsubscribeChannelsToRemove")]
    public IReadOnlyList<string>? UnsubscribeChannelsToRemove { get; init; }

    /// <summary>Starts a new session for the person (an SDK <c>start</c>).</summary>
    [JsonPropertyName("sessionStart")]
    public bool SessionStart { get; init; }

    /// <summary>Seconds of time in app this message reports (session end).</summary>
    [JsonPropertyName("timeInAppSeconds")]
    public double? TimeInAppSeconds { get; init; }

    public bool IsEmpty =>
        SetJson is null && AddJson is null && RemoveJson is null && IncrementJson is null &&
        UnsubscribeChannelsToAdd is null && UnsubscribeChannelsToRemove is null && !SessionStart && TimeInAppSeconds is null;
}
