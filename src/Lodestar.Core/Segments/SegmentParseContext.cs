namespace Lodestar.Core.Segments;

/// <summary>What <see cref="SegmentCriteriaParser"/> may check criteria against. Every member is optional.</summary>
public sealed class SegmentParseContext
{
    /// <summary>The known type of an attribute (null: unknown, so any operator is accepted).</summary>
    public Func<string, SegmentAttributeType?>? AttributeType { get; init; }

    /// <summary>
    /// The parsed criteria of the app's other saved segments by id (null: no such segment). When set, a
    /// <c>{"segment": id}</c> must name one, and must not lead back to <see cref="SegmentId"/>. When null, references
    /// are not checked (criteria loaded from the store were checked when saved).
    /// </summary>
    public Func<string, SegmentCondition?>? Segments { get; init; }

    /// <summary>The id of the segment being defined (on update), to refuse cycles through it.</summary>
    public string? SegmentId { get; init; }
}
