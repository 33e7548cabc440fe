namespace Lodestar.Core.Content;

/// <summary>App-inbox messages per person, with read state (transactional state store).</summary>
public interface IInboxStore
{
    /// <summary>Most kept per person (Leanplum's limit); delivering more drops the oldest.</summary>
    public const int MaxPerPerson = 300;

    /// <summary>Saves the message and delivers a copy to every person; returns the saved message (with its id).</summary>
    InboxMessage Send(InboxMessage message, IReadOnlyCollection<string> personIds, DateTimeOffset deliveredAt);

    /// <summary>The person's messages not deleted and not expired at <paramref name="now"/>, newest first.</summary>
    IReadOnlyList<InboxItem> Messages(string appId, string personId, DateTimeOffset now);

    /// <summary>True when the message was unread and is now read.</summary>
    bool MarkRead(string appId, string personId, string inboxId);

    /// <summary>True when the message was there and is now gone.</summary>
    bool Delete(string appId, string personId, string inboxId);

    /// <summary>A number that changes whenever the person's inbox changes (delivery, read, delete).</summary>
    long Version(string appId, string personId);

    /// <summary>The version the device last downloaded, or null if it never did.</summary>
    long? SyncedVersion(string appId, string personId, string deviceId);

    void MarkSynced(string appId, string personId, string deviceId, long version);
}
