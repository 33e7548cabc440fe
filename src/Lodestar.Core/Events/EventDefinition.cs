namespace Lodestar.Core.Events;

/// <summary>What the app says an event means: a display name, its worth, and whether it is a goal.</summary>
public sealed record EventDefinition
{
    /// <summary>The worth of an event that has no definition and carries no value of its own.</summary>
    public const double DefaultWeight = 1.0;

    public required string AppId { get; init; }

    public required string Name { get; init; }

    public string? DisplayName { get; init; }

    public string? Description { get; init; }

    /// <summary>The event's worth when it carries no value of its own (engagement scores, <c>weightedScore</c> trends).</summary>
    public double Weight { get; init; } = DefaultWeight;

    /// <summary>Goals are what experiments and journeys measure by default.</summary>
    public bool IsGoal { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }
}
