namespace Lodestar.Engine.Segments;

/// <summary>A person entering (or leaving) a segment, decided by their grain.</summary>
[GenerateSerializer, Immutable]
public sealed record MembershipTransition(
    [property: Id(0)] string SegmentId,
    [property: Id(1)] string SegmentName,
    [property: Id(2)] bool Entered,
    [property: Id(3)] DateTimeOffset At);
