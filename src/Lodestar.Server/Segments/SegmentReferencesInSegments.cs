using Lodestar.Core.Segments;

namespace Lodestar.Server.Segments;

/// <summary>Segments whose criteria name another segment use it: it cannot be deleted while they do.</summary>
public sealed class SegmentReferencesInSegments(ISegmentStore store) : ISegmentReferenceSource
{
    public ValueTask<IReadOnlyList<SegmentReference>> FindReferencesAsync(string appId, string segmentId, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<SegmentReference> references = store.List(appId)
            .Where(s => s.Id != segmentId && SegmentEvaluator.ReferencedSegments(s.Criteria).Contains(segmentId))
            .Select(s => new SegmentReference("segment", s.Id, s.Name))
            .ToList();
        return ValueTask.FromResult(references);
    }
}
