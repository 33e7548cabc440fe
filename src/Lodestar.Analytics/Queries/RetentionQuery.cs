namespace Lodestar.Analytics.Queries;

/// <summary>Cohorts by the period of their first start event, and who came back: <c>POST /insights/retention</c>.</summary>
public sealed record RetentionQuery
{
    /// <summary>An event name, or <c>$firstSeen</c> (the person's first event of any kind).</summary>
    public string? StartEvent { get; init; }

    /// <summary>An event name, or <c>$any</c>.</summary>
    public string? ReturnEvent { get; init; }

    public IReadOnlyList<EventFilter>? StartFilters { get; init; }

    public IReadOnlyList<EventFilter>? ReturnFilters { get; init; }

    /// <summary><c>day, week, month</c> (default week).</summary>
    public string? Interval { get; init; }

    /// <summary>How many periods after the cohort's to report (default 12).</summary>
    public int? Periods { get; init; }

    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? To { get; init; }

    public string? Timezone { get; init; }

    /// <summary><c>on</c> (a return in period k exactly, default) or <c>onOrAfter</c> (in period k or later).</summary>
    public string? Mode { get; init; }

    public Breakdown? Breakdown { get; init; }

    /// <summary>Only persons now in this saved segment (its id) count.</summary>
    public string? Segment { get; init; }
}

public sealed record RetentionResult(IReadOnlyList<RetentionCohort> Cohorts);

/// <summary><see cref="Retained"/>[0] is the cohort's size, [k] the persons retained in period k.</summary>
public sealed record RetentionCohort(DateTimeOffset Start, string? BreakdownValue, bool IsOther, long Size, IReadOnlyList<long> Retained);
