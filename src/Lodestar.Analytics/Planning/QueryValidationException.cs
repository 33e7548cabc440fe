namespace Lodestar.Analytics.Planning;

/// <summary>A query the engine refuses; <see cref="Field"/> names the offending field (e.g. <c>steps[2].filters[0].operator</c>).</summary>
public sealed class QueryValidationException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

/// <summary>A query ran past the configured time limit and was interrupted.</summary>
public sealed class QueryTimeoutException(TimeSpan limit)
    : Exception($"The query ran longer than {limit.TotalSeconds:0.#} s and was cancelled. Narrow the date range or raise Analytics:QueryTimeout.")
{
    public TimeSpan Limit { get; } = limit;
}
