namespace Lodestar.Core.Segments;

/// <summary>A person entering or leaving a segment, at a time.</summary>
/// <param name="Entered">True for an entry, false for an exit.</param>
public sealed record SegmentMembershipChange(string AppId, string SegmentId, string PersonId, bool Entered, DateTimeOffset At);
