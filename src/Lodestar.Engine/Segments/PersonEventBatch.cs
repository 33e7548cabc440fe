namespace Lodestar.Engine.Segments;

/// <summary>
/// A person's newly stored events, in sequence order, handed to their grain. <see cref="Events"/> holds only the
/// events the app's segments name; <see cref="LastSequence"/> covers every event of the batch.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record PersonEventBatch(
    [property: Id(0)] IReadOnlyList<TrackedEvent> Events,
    [property: Id(1)] long FirstSequence,
    [property: Id(2)] long LastSequence,
    [property: Id(3)] bool Merged);
