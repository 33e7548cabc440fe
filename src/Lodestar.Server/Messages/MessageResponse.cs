using System.Text.Json.Nodes;
using Lodestar.Core.Messages;

namespace Lodestar.Server.Messages;

/// <summary>A message as the management API shows it: the request's fields, normalised, plus ids and times.</summary>
public sealed record MessageResponse(
    long Id,
    string AppId,
    string Name,
    string Action,
    JsonObject Vars,
    JsonObject WhenTriggers,
    JsonObject? UnlessTriggers,
    JsonObject? WhenLimits,
    int Priority,
    DateTimeOffset? StartTime,
    DateTimeOffset? EndTime,
    MessageAudienceRequest Audience,
    MessageStatus Status,
    IReadOnlyList<MessageVariantResponse> Variants,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public static MessageResponse From(InAppMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new(message.Id, message.AppId, message.Name, message.Action, message.Vars, message.WhenTriggers, message.UnlessTriggers,
            message.WhenLimits, message.Priority, message.StartTime, message.EndTime, new MessageAudienceRequest(message.SegmentId), message.Status,
            [.. message.Variants.Select(v => new MessageVariantResponse(v.Id, v.Name, v.Weight, v.Vars))], message.CreatedAt, message.UpdatedAt);
    }
}

/// <param name="Id">The variant's SDK message id: the key it is shipped under and the <c>messageId</c> the SDK tracks.</param>
public sealed record MessageVariantResponse(long Id, string Name, double Weight, JsonObject Vars);

public sealed record MessageListResponse(IReadOnlyList<MessageResponse> Messages);

/// <summary>Impressions and actions per arm (the message itself when it has no variants), from the SDKs' message tracking.</summary>
public sealed record MessageStatsResponse(long MessageId, IReadOnlyList<MessageArmStats> Arms);

/// <param name="Id">The SDK message id the arm is tracked under.</param>
/// <param name="Variant">The variant's name; null for a message without variants.</param>
/// <param name="Impressions">Impressions (the SDK's <c>track</c> with <c>messageId</c> and no event, i.e. View).</param>
/// <param name="Viewers">Distinct persons with an impression.</param>
/// <param name="Actions">Other events tracked for the arm (<c>Accept</c>, <c>Cancel</c>, <c>Open</c>, …).</param>
public sealed record MessageArmStats(long Id, string? Variant, long Impressions, long Viewers, IReadOnlyDictionary<string, MessageEventStats> Actions);

public sealed record MessageEventStats(long Events, long Persons);
