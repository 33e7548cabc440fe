using Lodestar.Core.Experiments;
using Lodestar.Core.Segments;

namespace Lodestar.Server.AbTests;

/// <summary>A/B tests that target a segment (finished ones no longer use it), so the segment is not deleted under them.</summary>
public sealed class AbTestSegmentReferences(IAbTestStore tests) : ISegmentReferenceSource
{
    public ValueTask<IReadOnlyList<SegmentReference>> FindReferencesAsync(string appId, string segmentId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<SegmentReference>>([.. tests.List(appId)
            .Where(t => t.Status != AbTestStatus.Finished && string.Equals(t.SegmentId, segmentId, StringComparison.Ordinal))
            .Select(t => new SegmentReference("abTest", t.Id, t.Name))]);
}
