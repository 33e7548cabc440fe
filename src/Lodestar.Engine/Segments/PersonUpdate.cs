namespace Lodestar.Engine.Segments;

/// <summary>
/// What a person grain decided: membership transitions, and its re-evaluation time (<see cref="DueAt"/>, null for
/// none; <see cref="TimerChanged"/> when it differs from the one last reported). The ids are the person's own, so the
/// emitted <c>$segmentEntered</c>/<c>$segmentLeft</c> events resolve to the same person.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record PersonUpdate(
    [property: Id(0)] IReadOnlyList<MembershipTransition> Transitions,
    [property: Id(1)] bool TimerChanged,
    [property: Id(2)] DateTimeOffset? DueAt,
    [property: Id(3)] string? UserId,
    [property: Id(4)] string? AnonymousId);
