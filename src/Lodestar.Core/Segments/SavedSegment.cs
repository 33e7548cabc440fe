namespace Lodestar.Core.Segments;

/// <summary>A segment saved by an app: its criteria as the user wrote them (JSON text) and parsed.</summary>
public sealed record SavedSegment
{
    public required string Id { get; init; }

    public required string AppId { get; init; }

    public required string Name { get; init; }

    /// <summary>The criteria JSON as given (the public format), returned unchanged by the API.</summary>
    public required string CriteriaJson { get; init; }

    public required SegmentCondition Criteria { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }
}
