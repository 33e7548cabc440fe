namespace Lodestar.Analytics.Queries;

/// <summary>Counts or aggregates of events per period: <c>POST /insights/trends</c>.</summary>
public sealed record TrendsQuery
{
    public IReadOnlyList<TrendSeries>? Series { get; init; }

    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? To { get; init; }

    /// <summary><c>hour, day, week, month</c> (default day).</summary>
    public string? Interval { get; init; }

    /// <summary>IANA time zone of the periods (default UTC).</summary>
    public string? Timezone { get; init; }

    public Breakdown? Breakdown { get; init; }

    /// <summary>Only persons now in this saved segment (its id) count.</summary>
    public string? Segment { get; init; }

    /// <summary>Adds, per series, the same number of periods just before <see cref="From"/>.</summary>
    public bool CompareToPrevious { get; init; }
}

public sealed record TrendSeries
{
    /// <summary>The event name, or <c>$any</c> for every user event.</summary>
    public string? Event { get; init; }

    /// <summary><c>total, uniques, sum, avg, min, max, median, p90, perUserAvg, weightedScore</c> (default total).</summary>
    public string? Math { get; init; }

    /// <summary>For value maths: <c>value</c> (the event's value) or a numeric property.</summary>
    public string? Property { get; init; }

    public IReadOnlyList<EventFilter>? Filters { get; init; }

    public string? Label { get; init; }
}

public sealed record TrendsResult(IReadOnlyList<TrendLine> Series);

public sealed record TrendLine(string Label, string Event, string Math, string? BreakdownValue, bool IsOther, bool IsPrevious, IReadOnlyList<TrendPoint> Points);

public sealed record TrendPoint(DateTimeOffset T, double? Value);
