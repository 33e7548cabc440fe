namespace Lodestar.Core.Messages;

/// <summary>Reads the message events the SDKs tracked (<c>track</c> with <c>messageId</c>) from the event store.</summary>
public interface IMessageEventReader
{
    /// <summary>How many impressions the person (merged ids included) had of each of the SDK message ids.</summary>
    IReadOnlyDictionary<string, long> ImpressionsOf(string appId, string personId, IReadOnlyCollection<string> sdkMessageIds);

    /// <summary>Events and distinct persons per SDK message id and event (<c>View</c>, <c>Accept</c>, …).</summary>
    IReadOnlyList<MessageEventCount> Counts(string appId, IReadOnlyCollection<string> sdkMessageIds);
}

/// <param name="Event">The SDK's event for the message: <c>View</c> for an impression, else the action (<c>Accept</c>, <c>Cancel</c>, …).</param>
public sealed record MessageEventCount(string SdkMessageId, string Event, long Events, long Persons);
