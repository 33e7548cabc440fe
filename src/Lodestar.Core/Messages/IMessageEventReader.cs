namespace Lodestar.Core.Messages;

/// <summary>Reads the message events the SDKs tracked (<c>track</c> with <c>messageId</c>) from the event store.</summary>
public interface IMessageEventReader
{
    /// <summary>
    /// Impressions and person merges with a sequence in (<paramref name="afterSequence"/>, <paramref name="upToSequence"/>],
    /// in order, at most <paramref name="limit"/>; <c>UpTo</c> is the sequence the answer covers (fold it in as the new
    /// cursor). <paramref name="upToSequence"/> must be stored already (the event store's applied sequence).
    /// </summary>
    (IReadOnlyList<MessageImpressionChange> Changes, long UpTo) ImpressionChangesAfter(long afterSequence, long upToSequence, int limit);

    /// <summary>Events and distinct persons per SDK message id and event (<c>View</c>, <c>Accept</c>, …).</summary>
    IReadOnlyList<MessageEventCount> Counts(string appId, IReadOnlyCollection<string> sdkMessageIds);
}

/// <param name="Event">The SDK's event for the message: <c>View</c> for an impression, else the action (<c>Accept</c>, <c>Cancel</c>, …).</param>
public sealed record MessageEventCount(string SdkMessageId, string Event, long Events, long Persons);
