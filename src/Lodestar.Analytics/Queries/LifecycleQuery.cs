namespace Lodestar.Analytics.Queries;

/// <summary>Per period, active persons split into new, returning and resurrecting, and those who went dormant.</summary>
public sealed record LifecycleQuery
{
    /// <summary>The activity event, or <c>$any</c> (default).</summary>
    public string? Event { get; init; }

    public IReadOnlyList<EventFilter>? Filters { get; init; }

    public string? Interval { get; init; }

    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? To { get; init; }

    public string? Timezone { get; init; }

    /// <summary>Only persons now in this saved segment (its id) count.</summary>
    public string? Segment { get; init; }
}

public sealed record LifecycleResult(IReadOnlyList<LifecyclePeriod> Periods);

/// <summary>
/// <see cref="New"/>: first activity ever in this period; <see cref="Returning"/>: active in this and the previous period;
/// <see cref="Resurrecting"/>: active now, not in the previous period, but before it; <see cref="Dormant"/>: active in the
/// previous period but not in this one.
/// </summary>
public sealed record LifecyclePeriod(DateTimeOffset T, long New, long Returning, long Resurrecting, long Dormant);
