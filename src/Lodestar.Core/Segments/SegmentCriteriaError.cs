namespace Lodestar.Core.Segments;

/// <summary>One problem in segment criteria: the JSON path of the offending part (<c>criteria.all[1].count.value</c>) and what is wrong.</summary>
public sealed record SegmentCriteriaError(string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>Criteria that do not parse or validate; the server turns it into a 400 naming each path.</summary>
public sealed class SegmentCriteriaException : Exception
{
    public SegmentCriteriaException(IReadOnlyList<SegmentCriteriaError> errors)
        : base(errors is { Count: > 0 } ? string.Join("; ", errors) : "Invalid segment criteria.") => Errors = errors ?? [];

    public SegmentCriteriaException()
        : this([])
    {
    }

    public SegmentCriteriaException(string message)
        : base(message) => Errors = [];

    public SegmentCriteriaException(string message, Exception innerException)
        : base(message, innerException) => Errors = [];

    public IReadOnlyList<SegmentCriteriaError> Errors { get; }
}
