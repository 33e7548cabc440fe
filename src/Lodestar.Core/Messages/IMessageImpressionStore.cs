namespace Lodestar.Core.Messages;

/// <summary>
/// Per-person impression counts of in-app messages, folded from the event store so the start path reads them
/// with one indexed look-up (transactional state store). The cursor is the last event sequence folded in.
/// </summary>
public interface IMessageImpressionStore
{
    long Cursor { get; }

    /// <summary>Adds the impressions, moves merged persons' counts to the person they merged into and sets the cursor, in one transaction.</summary>
    void Apply(IReadOnlyList<MessageImpressionChange> changes, long cursor);

    /// <summary>Removes the person's counts (erasure).</summary>
    void Erase(string appId, string personId);

    /// <summary>How many impressions the person had of each of the SDK message ids (ids never seen are left out).</summary>
    IReadOnlyDictionary<string, long> ImpressionsOf(string appId, string personId, IReadOnlyCollection<string> sdkMessageIds);
}

/// <summary>An impression (<see cref="SdkMessageId"/> set) or a merge of <see cref="MergedPersonId"/> into <see cref="PersonId"/>.</summary>
public sealed record MessageImpressionChange(string AppId, string PersonId, string? SdkMessageId, string? MergedPersonId);
