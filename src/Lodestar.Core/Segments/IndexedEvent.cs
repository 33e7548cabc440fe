namespace Lodestar.Core.Segments;

/// <summary>One kept event of a person with its store sequence (the tie-break between events of the same time).</summary>
public readonly record struct IndexedEvent(long Sequence, PersonEvent Event);
