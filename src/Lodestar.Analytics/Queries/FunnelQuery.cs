namespace Lodestar.Analytics.Queries;

/// <summary>
/// Conversion through ordered steps: <c>POST /insights/funnels</c>. A person enters at their first step-1 event inside
/// [from, to]; the later steps follow within <see cref="Window"/> of that entry.
/// </summary>
public sealed record FunnelQuery
{
    public IReadOnlyList<FunnelStep>? Steps { get; init; }

    /// <summary>Conversion window from the entry event: <c>30s</c>, <c>15m</c>, <c>12h</c>, <c>7d</c>, <c>2w</c> (default 7d).</summary>
    public string? Window { get; init; }

    /// <summary><c>strict</c> (steps in the given order, default) or <c>any</c> (steps after the first in any order).</summary>
    public string? Order { get; init; }

    public IReadOnlyList<FunnelExclusion>? Exclusions { get; init; }

    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? To { get; init; }

    public string? Timezone { get; init; }

    /// <summary>By a property of the entry event, or a person attribute.</summary>
    public Breakdown? Breakdown { get; init; }

    /// <summary>Only persons now in this saved segment (its id) count.</summary>
    public string? Segment { get; init; }
}

public sealed record FunnelStep
{
    public string? Event { get; init; }

    public IReadOnlyList<EventFilter>? Filters { get; init; }
}

/// <summary>Persons who did <see cref="Event"/> between two steps (0-based) are left out of the funnel.</summary>
public sealed record FunnelExclusion
{
    public string? Event { get; init; }

    public IReadOnlyList<EventFilter>? Filters { get; init; }

    public IReadOnlyList<int>? BetweenSteps { get; init; }
}

/// <summary>The persons who reached step <see cref="Step"/> (0-based) but not the next one, a page at a time.</summary>
public sealed record FunnelPersonsQuery
{
    public FunnelQuery? Funnel { get; init; }

    public int? DroppedAfterStep { get; init; }

    /// <summary>A breakdown value to restrict to (as returned in <c>breakdowns</c>).</summary>
    public string? BreakdownValue { get; init; }

    public string? Cursor { get; init; }

    public int? Limit { get; init; }
}

public sealed record FunnelResult(IReadOnlyList<FunnelStepResult> Steps, IReadOnlyList<FunnelBreakdownResult> Breakdowns);

public sealed record FunnelStepResult(
    string Event, long Persons, double ConversionFromStart, double ConversionFromPrevious,
    double? MedianSecondsFromPrevious, double? AvgSecondsFromPrevious);

public sealed record FunnelBreakdownResult(string? BreakdownValue, bool IsOther, IReadOnlyList<FunnelStepResult> Steps);

public sealed record FunnelPersonsResult(IReadOnlyList<string> PersonIds, string? NextCursor);

/// <summary>Seconds from entry to the last step, for the persons who converted, in bins.</summary>
public sealed record TimeToConvertResult(long Converted, double? MedianSeconds, IReadOnlyList<TimeToConvertBin> Bins);

public sealed record TimeToConvertBin(double FromSeconds, double ToSeconds, long Persons);
