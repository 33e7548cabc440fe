namespace Lodestar.Engine.Segments;

/// <summary>One event of a person that some segment criterion names, as a person grain receives and keeps it.</summary>
[GenerateSerializer, Immutable]
public sealed record TrackedEvent(
    [property: Id(0)] long Sequence,
    [property: Id(1)] string Name,
    [property: Id(2)] DateTimeOffset Timestamp,
    [property: Id(3)] double? Value,
    [property: Id(4)] string? PropertiesJson);
