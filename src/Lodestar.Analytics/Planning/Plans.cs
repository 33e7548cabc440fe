namespace Lodestar.Analytics.Planning;

public enum Interval
{
    Hour,
    Day,
    Week,
    Month,
}

public enum FilterOperator
{
    Eq,
    Neq,
    Gt,
    Gte,
    Lt,
    Lte,
    Contains,
    NotContains,
    In,
    NotIn,
    IsSet,
    IsNotSet,
}

public enum LiteralKind
{
    String,
    Number,
    Boolean,
}

public enum TrendMath
{
    Total,
    Uniques,
    Sum,
    Avg,
    Min,
    Max,
    Median,
    P90,
    PerUserAvg,
    WeightedScore,
}

/// <summary>A typed constant a filter compares with.</summary>
public readonly record struct Literal(LiteralKind Kind, string Text, double Number, bool Boolean);

/// <summary>A property or attribute reference: events carry properties, persons carry attributes.</summary>
public sealed record FieldRef(bool IsAttribute, string Name);

public sealed record FilterPlan(FieldRef Field, FilterOperator Operator, IReadOnlyList<Literal> Values);

/// <summary>Which events a step, series or exclusion matches: a name (or any user event) and filters.</summary>
public sealed record EventMatch(string? Name, IReadOnlyList<FilterPlan> Filters)
{
    public const string AnyEvent = "$any";

    public bool IsAny => Name is null;
}

public sealed record TrendSeriesPlan(EventMatch Match, TrendMath Math, string? ValueProperty, string Label);

public sealed record TrendsPlan(IReadOnlyList<TrendSeriesPlan> Series, TimeRange Range, LocalCalendar Calendar, FieldRef? Breakdown, bool CompareToPrevious);

public sealed record FunnelPlan(
    IReadOnlyList<EventMatch> Steps, long WindowSeconds, bool AnyOrder, IReadOnlyList<ExclusionPlan> Exclusions,
    TimeRange Range, FieldRef? Breakdown);

public sealed record ExclusionPlan(EventMatch Match, int FromStep, int ToStep);

public sealed record RetentionPlan(
    EventMatch? Start, EventMatch Return, LocalCalendar Calendar, int Periods, TimeRange Range, bool OnOrAfter, FieldRef? Breakdown)
{
    /// <summary>Null <see cref="Start"/> means <c>$firstSeen</c>.</summary>
    public bool FirstSeen => Start is null;
}

public sealed record PathsPlan(string Anchor, bool FromStart, int Depth, int MaxNodesPerStep, IReadOnlyList<string> Exclude, TimeRange Range);

public sealed record LifecyclePlan(EventMatch Match, LocalCalendar Calendar, TimeRange Range);

/// <summary>An inclusive UTC instant range [From, To].</summary>
public readonly record struct TimeRange(DateTimeOffset From, DateTimeOffset To);
