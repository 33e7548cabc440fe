namespace Lodestar.Core.Identity;

/// <summary>The id → person mapping, and which persons carry a known user id.</summary>
public interface IIdentityStore
{
    /// <summary>The person a distinct id maps to.</summary>
    string? Find(string appId, string distinctId);

    /// <summary>How many ids are mapped, over all apps.</summary>
    long Count();

    /// <summary>Every link, for loading the map into memory.</summary>
    IEnumerable<IdentityLink> All();

    /// <summary>Whether any user id (not only anonymous ids) maps to the person.</summary>
    bool HasUserId(string appId, string personId);

    /// <summary>Every distinct id of a person.</summary>
    IReadOnlyList<string> IdsOf(string appId, string personId);

    /// <summary>Removes every id of a person (erasure).</summary>
    void Delete(string appId, string personId);

    /// <summary>
    /// Stores new links and re-points merged persons, atomically; the merges are also journaled as pending, in the same
    /// transaction, until <see cref="MergesApplied"/> says every other store has followed them.
    /// </summary>
    void Save(IReadOnlyList<IdentityLink> links, IReadOnlyList<(string AppId, string FromPersonId, string ToPersonId)> merges);

    /// <summary>
    /// The merges saved but not yet marked applied, oldest first: after a crash between <see cref="Save"/> and the
    /// stores that follow a merge (the event store's key overrides, the inbox), the ingestion start applies them again.
    /// </summary>
    IReadOnlyList<(string AppId, string FromPersonId, string ToPersonId)> PendingMerges();

    /// <summary>Every pending merge has been applied by the stores that follow merges; the journal is emptied.</summary>
    void MergesApplied();
}
