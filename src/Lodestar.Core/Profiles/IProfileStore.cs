namespace Lodestar.Core.Profiles;

/// <summary>Profiles, kept by folding the event stream; the projection's cursor is stored with them.</summary>
public interface IProfileStore
{
    Profile? Find(string appId, string personId);

    /// <summary>The sequence of the last event folded into the stored profiles.</summary>
    long Cursor { get; }

    /// <summary>Saves changed profiles, deletes merged-away ones and moves the cursor (when given), in one transaction.</summary>
    void Save(IReadOnlyCollection<ProfileDocument> changed, IReadOnlyCollection<(string AppId, string PersonId)> deleted, long? cursor);

    /// <summary>Deletes one profile at once (erasure), leaving the cursor where it is.</summary>
    void Delete(string appId, string personId);
}
