namespace Lodestar.Core.Messages;

/// <summary>In-app message definitions (transactional state store).</summary>
public interface IMessageStore
{
    /// <summary>Numeric ids from one sequence shared by messages and their variants, so SDK ids never collide.</summary>
    long NextId(string appId);

    void Save(InAppMessage message);

    InAppMessage? Find(string appId, long id);

    IReadOnlyList<InAppMessage> List(string appId, MessageStatus? status = null);

    /// <summary>The messages targeting a segment (for refusing to delete a segment in use).</summary>
    IReadOnlyList<InAppMessage> UsingSegment(string appId, string segmentId);
}
