using System.Globalization;
using Lodestar.Core.Messages;
using Lodestar.Core.Segments;

namespace Lodestar.Server.Messages;

/// <summary>
/// Reports the in-app messages that target a segment, so the segment is not deleted under them. Finished messages
/// are never shipped again, so they do not hold a segment.
/// </summary>
public sealed class MessageSegmentReferences(IMessageStore store) : ISegmentReferenceSource
{
    public ValueTask<IReadOnlyList<SegmentReference>> FindReferencesAsync(string appId, string segmentId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<SegmentReference>>(
            [.. store.UsingSegment(appId, segmentId).Where(m => m.Status != MessageStatus.Finished).Select(m => new SegmentReference("message", m.Id.ToString(CultureInfo.InvariantCulture), m.Name))]);
}
