namespace Lodestar.Core.Segments;

/// <summary>
/// A feature that can target segments (A/B tests, in-app messages, journeys, other segments) says which of its
/// definitions use a segment, so deleting a segment in use is refused with the list of what uses it.
/// Every implementation is registered; the segments API asks them all.
/// </summary>
public interface ISegmentReferenceSource
{
    ValueTask<IReadOnlyList<SegmentReference>> FindReferencesAsync(string appId, string segmentId, CancellationToken cancellationToken = default);
}

/// <param name="Kind">What uses the segment: <c>abTest</c>, <c>message</c>, <c>segment</c>, <c>journey</c>, …</param>
public sealed record SegmentReference(string Kind, string Id, string Name);
