namespace Lodestar.Core.Segments;

/// <summary>The known type of a user attribute, when the caller of <see cref="SegmentCriteriaParser"/> knows it, for type checks.</summary>
public enum SegmentAttributeType
{
    String,
    Number,
    Boolean,

    /// <summary>An ISO-8601 date held as a string.</summary>
    Date,
    List,
}
