namespace Lodestar.Core.Segments;

/// <summary>
/// One node of a segment's criteria, parsed from the public criteria JSON by <see cref="SegmentCriteriaParser"/>.
/// <see cref="SegmentEvaluator"/> gives the reference meaning of every node; the batch SQL compiler must agree with it.
/// </summary>
public abstract record SegmentCondition;

/// <summary><c>{"all": [c, ...]}</c>: every condition holds (at least one condition is required).</summary>
public sealed record AllCondition(IReadOnlyList<SegmentCondition> Conditions) : SegmentCondition;

/// <summary><c>{"any": [c, ...]}</c>: at least one condition holds (at least one condition is required).</summary>
public sealed record AnyCondition(IReadOnlyList<SegmentCondition> Conditions) : SegmentCondition;

/// <summary><c>{"not": c}</c>.</summary>
public sealed record NotCondition(SegmentCondition Condition) : SegmentCondition;

/// <summary>
/// <c>{"attribute": "plan", "op": "eq", "value": "pro"}</c>: a test of one user attribute. Besides the attributes a
/// person's events set, two built-in date attributes exist: <c>$firstSeen</c> and <c>$lastActive</c>.
/// </summary>
public sealed record AttributeCondition(string Attribute, ValueTest Test) : SegmentCondition
{
    public const string FirstSeen = "$firstSeen";
    public const string LastActive = "$lastActive";
}

/// <summary>
/// <c>{"technology": "os", "op": "eq", "value": "iOS"}</c>: a test of the person's most recently seen device
/// (os, appVersion, deviceModel, locale, timezone) or place (country). Values are strings; eq, neq, contains,
/// in, notIn, isSet, isNotSet apply, and on appVersion also gt, gte, lt, lte in <see cref="AppVersionOrder"/>.
/// </summary>
public sealed record TechnologyCondition(TechnologyField Field, ValueTest Test) : SegmentCondition;

/// <summary><c>{"sessions": {"op": "gte", "value": 3}}</c>: the person's session count (from the profile) compared with a number.</summary>
public sealed record SessionsCondition(CountTest Count) : SegmentCondition;

/// <summary>
/// A behavioral condition on one event name:
/// <c>{"event": "Purchase", "filters": [...], "count": {"op": "gte", "value": 2}, "within": "30d"}</c>,
/// <c>{"event": "Purchase", "aggregate": {"fn": "sum", "property": "amount", "op": "gt", "value": 100}, "within": "30d"}</c>,
/// <c>{"event": "Purchase", "occurrence": "first", "op": "within", "value": "3d"}</c>.
/// At most one of <see cref="Count"/>, <see cref="Aggregate"/>, <see cref="Occurrence"/>; with none of them the
/// condition means "did it at least once" (count gte 1). The events considered are those of that name whose
/// properties pass every filter, in <see cref="Window"/>, and not after the evaluation instant.
/// </summary>
public sealed record EventCondition(
    EventMatch Match,
    EventWindow Window,
    CountTest? Count,
    AggregateTest? Aggregate,
    OccurrenceTest? Occurrence) : SegmentCondition;

/// <summary>
/// <c>{"sequence": {"did": {"event": "Add To Cart"}, "thenNot": {"event": "Purchase"}, "within": "1d"}}</c>: some
/// <c>did</c> event at time t whose window has passed (t + within ≤ now) with no <c>thenNot</c> event in [t, t + within].
/// Both <c>did</c> and <c>thenNot</c> take <c>event</c> and optional <c>filters</c>.
/// </summary>
public sealed record SequenceCondition(EventMatch Did, EventMatch ThenNot, TimeSpan Within) : SegmentCondition;

/// <summary><c>{"segment": "SEGMENT_ID"}</c>: membership of another saved segment of the same app (no cycles).</summary>
public sealed record SegmentMembershipCondition(string SegmentId) : SegmentCondition;

/// <summary><c>{"bucket": {"lt": 0.2}}</c>: the person's stable bucket (<see cref="SegmentBucket"/>) is below <see cref="Below"/>.</summary>
public sealed record BucketCondition(double Below) : SegmentCondition;
