using System.Text.Json.Nodes;

namespace Lodestar.Core.Messages;

/// <summary>
/// An in-app message in Leanplum's own format: the kind (<see cref="Action"/>), its fields (<see cref="Vars"/>,
/// with <c>__name__</c>), when it displays (<see cref="WhenTriggers"/>, <see cref="UnlessTriggers"/>) and how often
/// (<see cref="WhenLimits"/>), its window, priority, audience and A/B variants.
/// </summary>
public sealed record InAppMessage
{
    /// <summary>Numeric, like Leanplum's: the SDK-facing message id when the message has no variants.</summary>
    public required long Id { get; init; }

    public required string AppId { get; init; }

    public required string Name { get; init; }

    public required string Action { get; init; }

    public required JsonObject Vars { get; init; }

    public required JsonObject WhenTriggers { get; init; }

    public JsonObject? UnlessTriggers { get; init; }

    public JsonObject? WhenLimits { get; init; }

    /// <summary>1 (highest) to 1000 (default).</summary>
    public int Priority { get; init; } = MessageDefaults.Priority;

    public DateTimeOffset? StartTime { get; init; }

    public DateTimeOffset? EndTime { get; init; }

    /// <summary>The saved segment the message targets; null for everyone.</summary>
    public string? SegmentId { get; init; }

    public MessageStatus Status { get; init; } = MessageStatus.Active;

    /// <summary>Empty, or two to sixteen arms whose weights sum to 100.</summary>
    public IReadOnlyList<MessageVariant> Variants { get; init; } = [];

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Whether the message may be shipped at <paramref name="now"/>: active and inside its window.</summary>
    public bool IsLiveAt(DateTimeOffset now) =>
        Status == MessageStatus.Active && (StartTime is not { } start || now >= start) && (EndTime is not { } end || now < end);

    /// <summary>Every id the SDK may track this message under (the message's, or its variants').</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IEnumerable<long> SdkIds => Variants.Count == 0 ? [Id] : Variants.Select(v => v.Id);
}
