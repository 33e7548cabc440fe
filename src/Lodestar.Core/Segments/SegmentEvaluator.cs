namespace Lodestar.Core.Segments;

/// <summary>
/// The reference meaning of segment criteria: evaluates them for one person in memory. The batch SQL compiled from the
/// same criteria must give the same answer for every person (a property test checks it), and the real-time engine
/// uses this evaluator directly. <paramref name="segments"/> (in every method) resolves nested <c>{"segment": id}</c>
/// conditions to the saved segment's criteria; an unknown id is not matched.
/// </summary>
public static class SegmentEvaluator
{
    private const int MaxDepth = 64;

    /// <summary>Whether the person matches the criteria at the instant <paramref name="now"/>.</summary>
    public static bool Matches(SegmentCondition criteria, PersonFacts facts, DateTimeOffset now, Func<string, SegmentCondition?>? segments = null)
    {
        ArgumentNullException.ThrowIfNull(criteria);
        ArgumentNullException.ThrowIfNull(facts);
        return Evaluate(criteria, facts, now, segments, 0);
    }

    /// <summary>
    /// The earliest instant after <paramref name="now"/> at which the answer may change with no new event or attribute
    /// change (an event leaving or entering a window, a relative date passing), or null when it cannot. It may name an
    /// instant at which the answer turns out not to change; it never misses one.
    /// </summary>
    public static DateTimeOffset? NextChangeAt(SegmentCondition criteria, PersonFacts facts, DateTimeOffset now, Func<string, SegmentCondition?>? segments = null)
    {
        ArgumentNullException.ThrowIfNull(criteria);
        ArgumentNullException.ThrowIfNull(facts);
        DateTimeOffset? next = null;
        NextChange(criteria, facts, now, segments, 0, ref next);
        return next;
    }

    /// <summary>
    /// <see cref="Matches"/> and <see cref="NextChangeAt"/> in one walk of the criteria and one pass over the events of
    /// each behavioral condition, over <paramref name="events"/> (in time order) instead of <c>facts.Events</c>: what the
    /// real-time engine calls for each segment it re-evaluates. Gives exactly the two answers of those methods (a property
    /// test checks it on random criteria and histories).
    /// </summary>
    public static (bool Matches, DateTimeOffset? NextChangeAt) Evaluate(
        SegmentCondition criteria, PersonFacts facts, IReadOnlyList<PersonEvent> events, DateTimeOffset now, Func<string, SegmentCondition?>? segments = null)
    {
        ArgumentNullException.ThrowIfNull(criteria);
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(events);
        DateTimeOffset? next = null;
        bool matches = EvaluateWithNext(criteria, facts, events, now, segments, 0, ref next);
        return (matches, next);
    }

    /// <summary>The event names the criteria look at (through nested segments too), so a real-time engine keeps only those.</summary>
    public static IReadOnlySet<string> ReferencedEvents(SegmentCondition criteria, Func<string, SegmentCondition?>? segments = null)
    {
        ArgumentNullException.ThrowIfNull(criteria);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in Walk(criteria, segments))
        {
            switch (node)
            {
                case EventCondition e: names.Add(e.Match.Event); break;
                case SequenceCondition s: names.Add(s.Did.Event); names.Add(s.ThenNot.Event); break;
            }
        }

        return names;
    }

    /// <summary>
    /// How far back events matter: the longest <c>within</c> of the behavioral conditions, or null when some condition
    /// needs the whole history (ever, between, sequence).
    /// </summary>
    public static TimeSpan? EventLookback(SegmentCondition criteria, Func<string, SegmentCondition?>? segments = null)
    {
        ArgumentNullException.ThrowIfNull(criteria);
        TimeSpan longest = TimeSpan.Zero;
        foreach (var node in Walk(criteria, segments))
        {
            switch (node)
            {
                case EventCondition { Window.Within: { } within }: longest = within > longest ? within : longest; break;
                case EventCondition or SequenceCondition: return null;
            }
        }

        return longest;
    }

    /// <summary>The ids of the segments the criteria name directly (not through them).</summary>
    public static IReadOnlySet<string> ReferencedSegments(SegmentCondition criteria)
    {
        ArgumentNullException.ThrowIfNull(criteria);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in Walk(criteria, null))
        {
            if (node is SegmentMembershipCondition m) ids.Add(m.SegmentId);
        }

        return ids;
    }

    /// <summary>Every node of the criteria, descending into nested segments when <paramref name="segments"/> is given.</summary>
    public static IEnumerable<SegmentCondition> Walk(SegmentCondition criteria, Func<string, SegmentCondition?>? segments)
    {
        var stack = new Stack<(SegmentCondition Node, int Depth)>();
        stack.Push((criteria, 0));
        while (stack.Count > 0)
        {
            var (node, depth) = stack.Pop();
            yield return node;
            if (depth >= MaxDepth) continue;
            switch (node)
            {
                case AllCondition all: foreach (var c in all.Conditions) stack.Push((c, depth + 1)); break;
                case AnyCondition any: foreach (var c in any.Conditions) stack.Push((c, depth + 1)); break;
                case NotCondition not: stack.Push((not.Condition, depth + 1)); break;
                case SegmentMembershipCondition m when segments?.Invoke(m.SegmentId) is { } nested: stack.Push((nested, depth + 1)); break;
            }
        }
    }

    private static bool Evaluate(SegmentCondition condition, PersonFacts facts, DateTimeOffset now, Func<string, SegmentCondition?>? segments, int depth)
    {
        switch (condition)
        {
            case AllCondition all:
                foreach (var c in all.Conditions) if (!Evaluate(c, facts, now, segments, depth + 1)) return false;
                return true;
            case AnyCondition any:
                foreach (var c in any.Conditions) if (Evaluate(c, facts, now, segments, depth + 1)) return true;
                return false;
            case NotCondition not:
                return !Evaluate(not.Condition, facts, now, segments, depth + 1);
            case AttributeCondition a:
                return a.Test.Matches(facts.Attribute(a.Attribute), now);
            case TechnologyCondition t when t.Field == TechnologyField.AppVersion && AppVersionOrder.IsOrdering(t.Test.Op):
                return AppVersionOrder.Matches(facts.Technology.AppVersion, t.Test);
            case TechnologyCondition t:
                return t.Test.Matches(SegmentValue.OfString(facts.Technology.Get(t.Field)), now);
            case SessionsCondition s:
                return s.Count.Matches(facts.Sessions);
            case EventCondition e:
                return EvaluateEvent(e, facts, now);
            case SequenceCondition s:
                return EvaluateSequence(s, facts, now);
            case SegmentMembershipCondition m:
                return depth < MaxDepth && segments?.Invoke(m.SegmentId) is { } nested && Evaluate(nested, facts, now, segments, depth + 1);
            case BucketCondition b:
                return SegmentBucket.Of(facts.PersonId) < b.Below;
            default:
                throw new ArgumentException($"Unknown segment condition {condition.GetType().Name}.", nameof(condition));
        }
    }

    private static bool EvaluateEvent(EventCondition condition, PersonFacts facts, DateTimeOffset now)
    {
        var tally = new EventTally();
        foreach (var e in facts.Events)
        {
            if (!condition.Window.Contains(e.Time, now) || !condition.Match.Matches(e, now)) continue;
            tally.Add(condition, e);
        }

        return tally.Matches(condition, now);
    }

    private static readonly CountTest DidOnce = new(ValueOperator.Gte, 1);

    /// <summary>What an event condition reads from the events its window and match let through.</summary>
    private struct EventTally
    {
        private long _count, _valued;
        private double _sum, _min, _max;
        private DateTimeOffset? _first, _last;

        public void Add(EventCondition condition, PersonEvent e)
        {
            if (_count++ == 0)
            {
                _first = e.Time;
                _min = double.PositiveInfinity;
                _max = double.NegativeInfinity;
            }

            _last = e.Time;
            if (condition.Aggregate is { } aggregate && AggregateInput(aggregate, e) is { } x)
            {
                _valued++;
                _sum += x;
                _min = Math.Min(_min, x);
                _max = Math.Max(_max, x);
            }
        }

        /// <summary>The condition's answer: its aggregate, occurrence or count test (at least once when none).</summary>
        public readonly bool Matches(EventCondition condition, DateTimeOffset now)
        {
            if (condition.Aggregate is { } test) return test.Matches(_valued, _sum, _min, _max);

            if (condition.Occurrence is { } occurrence)
            {
                return (occurrence.First ? _first : _last) is { } time && occurrence.Test.MatchesDate(time, now);
            }

            return (condition.Count ?? DidOnce).Matches(_count);
        }
    }

    /// <summary>The number an aggregate takes from an event: its value, or a numeric property; null when it has none.</summary>
    public static double? AggregateInput(AggregateTest aggregate, PersonEvent e)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        ArgumentNullException.ThrowIfNull(e);
        if (aggregate.Property == AggregateTest.EventValue) return e.Value;
        var value = SegmentValue.From(e.Properties?[aggregate.Property]);
        return value.Kind == SegmentValueKind.Number ? value.Number : null;
    }

    private static bool EvaluateSequence(SequenceCondition condition, PersonFacts facts, DateTimeOffset now)
    {
        var events = facts.Events;
        for (int i = 0; i < events.Count; i++)
        {
            var a = events[i];
            if (a.Time + condition.Within > now || !condition.Did.Matches(a, now)) continue;
            var end = a.Time + condition.Within;
            bool followed = false;
            foreach (var b in events)
            {
                if (b.Time >= a.Time && b.Time <= end && condition.ThenNot.Matches(b, now))
                {
                    followed = true;
                    break;
                }
            }

            if (!followed) return true;
        }

        return false;
    }

    /// <summary>
    /// Evaluate and NextChange together: every child is visited (no short cut), since the next change time needs them all;
    /// the answer of each node is the one Evaluate gives.
    /// </summary>
    private static bool EvaluateWithNext(
        SegmentCondition condition, PersonFacts facts, IReadOnlyList<PersonEvent> events, DateTimeOffset now,
        Func<string, SegmentCondition?>? segments, int depth, ref DateTimeOffset? next)
    {
        switch (condition)
        {
            case AllCondition all:
            {
                bool result = true;
                // Indexed, not foreach: an interface enumerator would be allocated per node per evaluation.
                var conditions = all.Conditions;
                for (int i = 0; i < conditions.Count; i++) result &= EvaluateWithNext(conditions[i], facts, events, now, segments, depth + 1, ref next);
                return result;
            }

            case AnyCondition any:
            {
                bool result = false;
                var conditions = any.Conditions;
                for (int i = 0; i < conditions.Count; i++) result |= EvaluateWithNext(conditions[i], facts, events, now, segments, depth + 1, ref next);
                return result;
            }

            case NotCondition not:
                return !EvaluateWithNext(not.Condition, facts, events, now, segments, depth + 1, ref next);
            case AttributeCondition a:
            {
                var value = facts.Attribute(a.Attribute);
                if (a.Test.IsDateTest && value.Date is { } date && a.Test.NextDateChange(date, now) is { } change)
                {
                    next = ValueTest.Earliest(next, change, now);
                }

                return a.Test.Matches(value, now);
            }

            case EventCondition e:
                return EvaluateEventWithNext(e, events, now, ref next);
            case SequenceCondition s:
                return EvaluateSequenceWithNext(s, events, now, ref next);
            case SegmentMembershipCondition m:
                return depth < MaxDepth && segments?.Invoke(m.SegmentId) is { } nested &&
                       EvaluateWithNext(nested, facts, events, now, segments, depth + 1, ref next);
            default:
                // Attribute-free leaves (technology, sessions, bucket) never change with time alone.
                return Evaluate(condition, facts, now, segments, depth);
        }
    }

    private static bool EvaluateEventWithNext(EventCondition condition, IReadOnlyList<PersonEvent> events, DateTimeOffset now, ref DateTimeOffset? next)
    {
        if (condition.Window.From is { } from) next = ValueTest.Earliest(next, from, now);
        if (condition.Window.To is { } to) next = ValueTest.Earliest(next, to, now);
        var tally = new EventTally();
        for (int i = 0; i < events.Count; i++)
        {
            var e = events[i];
            if (!condition.Match.Matches(e, now)) continue;
            next = ValueTest.Earliest(next, e.Time, now);
            if (condition.Window.Within is { } within) next = ValueTest.Earliest(next, e.Time + within, now);
            if (condition.Occurrence?.Test.NextDateChange(e.Time, now) is { } passes) next = ValueTest.Earliest(next, passes, now);
            if (!condition.Window.Contains(e.Time, now)) continue;
            tally.Add(condition, e);
        }

        return tally.Matches(condition, now);
    }

    private static bool EvaluateSequenceWithNext(SequenceCondition condition, IReadOnlyList<PersonEvent> events, DateTimeOffset now, ref DateTimeOffset? next)
    {
        bool matches = false;
        for (int i = 0; i < events.Count; i++)
        {
            var a = events[i];
            if (condition.Did.Matches(a, now))
            {
                next = ValueTest.Earliest(next, a.Time, now);
                next = ValueTest.Earliest(next, a.Time + condition.Within, now);
            }
            else
            {
                if (condition.ThenNot.Matches(a, now)) next = ValueTest.Earliest(next, a.Time, now);
                continue;
            }

            if (matches || a.Time + condition.Within > now) continue;
            var end = a.Time + condition.Within;
            bool followed = false;
            for (int j = 0; j < events.Count; j++)
            {
                var b = events[j];
                if (b.Time >= a.Time && b.Time <= end && condition.ThenNot.Matches(b, now))
                {
                    followed = true;
                    break;
                }
            }

            if (!followed) matches = true;
        }

        return matches;
    }

    private static void NextChange(
        SegmentCondition condition, PersonFacts facts, DateTimeOffset now, Func<string, SegmentCondition?>? segments, int depth, ref DateTimeOffset? next)
    {
        switch (condition)
        {
            case AllCondition all:
                foreach (var c in all.Conditions) NextChange(c, facts, now, segments, depth + 1, ref next);
                break;
            case AnyCondition any:
                foreach (var c in any.Conditions) NextChange(c, facts, now, segments, depth + 1, ref next);
                break;
            case NotCondition not:
                NextChange(not.Condition, facts, now, segments, depth + 1, ref next);
                break;
            case AttributeCondition a when a.Test.IsDateTest:
                if (facts.Attribute(a.Attribute).Date is { } date && a.Test.NextDateChange(date, now) is { } change)
                {
                    next = ValueTest.Earliest(next, change, now);
                }

                break;
            case EventCondition e:
                if (e.Window.From is { } from) next = ValueTest.Earliest(next, from, now);
                if (e.Window.To is { } to) next = ValueTest.Earliest(next, to, now);
                foreach (var ev in facts.Events)
                {
                    if (!e.Match.Matches(ev, now)) continue;
                    next = ValueTest.Earliest(next, ev.Time, now);
                    if (e.Window.Within is { } within) next = ValueTest.Earliest(next, ev.Time + within, now);
                    if (e.Occurrence?.Test.NextDateChange(ev.Time, now) is { } passes) next = ValueTest.Earliest(next, passes, now);
                }

                break;
            case SequenceCondition s:
                foreach (var ev in facts.Events)
                {
                    if (s.Did.Matches(ev, now))
                    {
                        next = ValueTest.Earliest(next, ev.Time, now);
                        next = ValueTest.Earliest(next, ev.Time + s.Within, now);
                    }
                    else if (s.ThenNot.Matches(ev, now))
                    {
                        next = ValueTest.Earliest(next, ev.Time, now);
                    }
                }

                break;
            case SegmentMembershipCondition m when depth < MaxDepth && segments?.Invoke(m.SegmentId) is { } nested:
                NextChange(nested, facts, now, segments, depth + 1, ref next);
                break;
        }
    }
}
