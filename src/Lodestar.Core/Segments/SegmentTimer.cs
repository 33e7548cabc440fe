namespace Lodestar.Core.Segments;

/// <summary>
/// When a person's segment membership must be evaluated again with no new event (a time window closing).
/// A null <paramref name="DueAt"/> removes the person's timer.
/// </summary>
public sealed record SegmentTimer(string AppId, string PersonId, DateTimeOffset? DueAt);
