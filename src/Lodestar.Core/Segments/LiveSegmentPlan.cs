namespace Lodestar.Core.Segments;

/// <summary>
/// Criteria compiled for evaluation over a <see cref="PersonEventIndex"/>: each behavioral condition reads the sorted
/// list of its own match (its event name, or its filtered events) and finds its window by binary search, so a count or
/// a "did not" costs O(log n) and a sequence one merge walk of its two lists, with no event filtered again. The
/// answers and next change times are exactly those of <see cref="SegmentEvaluator.Evaluate"/> over the same events (a
/// property test drives both with random histories, criteria and instants). Criteria with a shape it does not compile
/// (a property filter with a date test, which the parser never produces; nesting too large) use that evaluator.
/// </summary>
public sealed class LiveSegmentPlan
{
    private const int MaxDepth = 64;
    private const int MaxNodes = 4_096;
    private static readonly CountTest DidOnce = new(ValueOperator.Gte, 1);
    private static readonly int[] NoSlots = [];

    private readonly Dictionary<string, (int NameSlot, int[] Filtered)> _byName = new(StringComparer.Ordinal);
    private readonly List<EventMatch?> _slotMatches = [];
    private readonly Dictionary<EventMatch, int> _filteredSlots = new(ReferenceEqualityComparer.Instance);
    private readonly Node?[] _roots;
    private readonly int[][] _fallbackNames;
    private readonly IReadOnlyList<SegmentCondition> _criteria;
    private readonly Func<string, SegmentCondition?>? _segments;

    /// <param name="criteria">The criteria to evaluate, by index.</param>
    /// <param name="segments">Resolves nested <c>{"segment": id}</c> conditions, as in <see cref="SegmentEvaluator"/>.</param>
    public LiveSegmentPlan(IReadOnlyList<SegmentCondition> criteria, Func<string, SegmentCondition?>? segments = null)
    {
        ArgumentNullException.ThrowIfNull(criteria);
        _criteria = criteria;
        _segments = segments;
        foreach (var c in criteria)
        {
            foreach (var name in SegmentEvaluator.ReferencedEvents(c, segments)) NameSlot(name);
        }

        NameSlotCount = _slotMatches.Count;
        _roots = new Node?[criteria.Count];
        _fallbackNames = new int[criteria.Count][];
        for (int i = 0; i < criteria.Count; i++)
        {
            int nodes = 0;
            _roots[i] = Compile(criteria[i], 0, ref nodes);
            _fallbackNames[i] = _roots[i] is null ? [.. SegmentEvaluator.ReferencedEvents(criteria[i], segments).Select(NameSlot)] : NoSlots;
        }

        var filteredOf = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        foreach (var (match, slot) in _filteredSlots)
        {
            if (!filteredOf.TryGetValue(match.Event, out var list)) filteredOf[match.Event] = list = [];
            list.Add(slot);
        }

        foreach (var name in _byName.Keys.ToList())
        {
            _byName[name] = (_byName[name].NameSlot, filteredOf.TryGetValue(name, out var slots) ? [.. slots.Order()] : NoSlots);
        }
    }

    /// <summary>How many lists a person's index has: one per name, then one per filtered match.</summary>
    public int SlotCount => _slotMatches.Count;

    /// <summary>The name slots come first: 0 to this count − 1.</summary>
    public int NameSlotCount { get; }

    /// <summary>The number of criteria compiled.</summary>
    public int Count => _criteria.Count;

    /// <summary>Whether the criteria at <paramref name="index"/> run on the reference evaluator (a shape not compiled).</summary>
    public bool UsesReference(int index) => _roots[index] is null;

    /// <summary>
    /// Whether the person matches the criteria at <paramref name="index"/> at <paramref name="now"/>, and the earliest time
    /// after it the answer may change with no new event: <see cref="SegmentEvaluator.Evaluate"/> over the events of
    /// <paramref name="events"/> (the profile part read from <paramref name="facts"/>).
    /// </summary>
    public (bool Matches, DateTimeOffset? NextChangeAt) Evaluate(int index, PersonFacts facts, PersonEventIndex events, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(events);
        if (!ReferenceEquals(events.Plan, this)) throw new ArgumentException("The index was built for another plan.", nameof(events));
        if (_roots[index] is not { } root)
        {
            return SegmentEvaluator.Evaluate(_criteria[index], facts, events.Merged(_fallbackNames[index]), now, _segments);
        }

        DateTimeOffset? next = null;
        bool matches = root.Evaluate(this, facts, events, now, ref next);
        return (matches, next);
    }

    internal bool TryGetSlots(string name, out int nameSlot, out int[] filtered)
    {
        if (_byName.TryGetValue(name, out var slots))
        {
            (nameSlot, filtered) = slots;
            return true;
        }

        (nameSlot, filtered) = (-1, NoSlots);
        return false;
    }

    /// <summary>Whether an event of the slot's name passes its filters (filters without date tests do not depend on now).</summary>
    internal bool SlotMatches(int slot, PersonEvent e) => _slotMatches[slot] is not { } match || match.Matches(e, default);

    private int NameSlot(string name)
    {
        if (_byName.TryGetValue(name, out var known)) return known.NameSlot;
        int slot = _slotMatches.Count;
        _slotMatches.Add(null);
        _byName[name] = (slot, NoSlots);
        return slot;
    }

    /// <summary>The slot a match reads: its name's, or its own filtered one. Null when its filters depend on the instant.</summary>
    private int? MatchSlot(EventMatch match)
    {
        if (match.Filters.Count == 0) return NameSlot(match.Event);
        for (int i = 0; i < match.Filters.Count; i++)
        {
            if (match.Filters[i].Test.IsDateTest) return null;
        }

        if (_filteredSlots.TryGetValue(match, out int slot)) return slot;
        slot = _slotMatches.Count;
        _slotMatches.Add(match);
        _filteredSlots[match] = slot;
        return slot;
    }

    /// <summary>The node of a condition, or null when the whole criteria must use the reference evaluator.</summary>
    private Node? Compile(SegmentCondition condition, int depth, ref int nodes)
    {
        if (++nodes > MaxNodes) return null;
        switch (condition)
        {
            case AllCondition all:
            {
                var children = new Node[all.Conditions.Count];
                for (int i = 0; i < children.Length; i++)
                {
                    if (Compile(all.Conditions[i], depth + 1, ref nodes) is not { } child) return null;
                    children[i] = child;
                }

                return new AllNode(children);
            }

            case AnyCondition any:
            {
                var children = new Node[any.Conditions.Count];
                for (int i = 0; i < children.Length; i++)
                {
                    if (Compile(any.Conditions[i], depth + 1, ref nodes) is not { } child) return null;
                    children[i] = child;
                }

                return new AnyNode(children);
            }

            case NotCondition not:
                return Compile(not.Condition, depth + 1, ref nodes) is { } inner ? new NotNode(inner) : null;
            case EventCondition e:
                return MatchSlot(e.Match) is { } slot ? new EventNode(e, slot) : null;
            case SequenceCondition s:
                return MatchSlot(s.Did) is { } did && MatchSlot(s.ThenNot) is { } thenNot ? new SequenceNode(s, did, thenNot) : null;
            case SegmentMembershipCondition m:
                // As the evaluator: beyond the depth bound, or an unknown id, is not matched.
                return depth < MaxDepth && _segments?.Invoke(m.SegmentId) is { } nested ? Compile(nested, depth + 1, ref nodes) : FalseNode.Instance;
            default:
                // Profile leaves (attributes, technology, sessions, bucket): the evaluator reads no events for them.
                return new LeafNode(condition);
        }
    }

    /// <summary>The first index whose event is after <paramref name="time"/> (its count when none).</summary>
    private static int FirstAfter(List<IndexedEvent> list, DateTimeOffset time)
    {
        int lo = 0, hi = list.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (list[mid].Event.Time > time) hi = mid;
            else lo = mid + 1;
        }

        return lo;
    }

    /// <summary>The first index whose event is at or after <paramref name="time"/> (its count when none).</summary>
    private static int FirstAtOrAfter(List<IndexedEvent> list, DateTimeOffset time)
    {
        int lo = 0, hi = list.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (list[mid].Event.Time >= time) hi = mid;
            else lo = mid + 1;
        }

        return lo;
    }

    private abstract class Node
    {
        public abstract bool Evaluate(LiveSegmentPlan plan, PersonFacts facts, PersonEventIndex events, DateTimeOffset now, ref DateTimeOffset? next);
    }

    /// <summary>Every child is visited (no short cut): the next change time needs them all.</summary>
    private sealed class AllNode(Node[] children) : Node
    {
        public override bool Evaluate(LiveSegmentPlan plan, PersonFacts facts, PersonEventIndex events, DateTimeOffset now, ref DateTimeOffset? next)
        {
            bool result = true;
            foreach (var child in children) result &= child.Evaluate(plan, facts, events, now, ref next);
            return result;
        }
    }

    private sealed class AnyNode(Node[] children) : Node
    {
        public override bool Evaluate(LiveSegmentPlan plan, PersonFacts facts, PersonEventIndex events, DateTimeOffset now, ref DateTimeOffset? next)
        {
            bool result = false;
            foreach (var child in children) result |= child.Evaluate(plan, facts, events, now, ref next);
            return result;
        }
    }

    private sealed class NotNode(Node inner) : Node
    {
        public override bool Evaluate(LiveSegmentPlan plan, PersonFacts facts, PersonEventIndex events, DateTimeOffset now, ref DateTimeOffset? next) =>
            !inner.Evaluate(plan, facts, events, now, ref next);
    }

    private sealed class FalseNode : Node
    {
        public static readonly FalseNode Instance = new();

        public override bool Evaluate(LiveSegmentPlan plan, PersonFacts facts, PersonEventIndex events, DateTimeOffset now, ref DateTimeOffset? next) => false;
    }

    private sealed class LeafNode(SegmentCondition condition) : Node
    {
        public override bool Evaluate(LiveSegmentPlan plan, PersonFacts facts, PersonEventIndex events, DateTimeOffset now, ref DateTimeOffset? next)
        {
            var (matches, change) = SegmentEvaluator.Evaluate(condition, facts, [], now, plan._segments);
            if (change is { } at) next = ValueTest.Earliest(next, at, now);
            return matches;
        }
    }

    /// <summary>
    /// The evaluator's candidates for the next change are, over the matching events e: e.Time, e.Time + within, and the
    /// occurrence test's e.Time + D, each counted only after now; in a list sorted by time the least of each family is at
    /// the first event after now, after now − within, after now − D.
    /// </summary>
    private sealed class EventNode(EventCondition condition, int slot) : Node
    {
        public override bool Evaluate(LiveSegmentPlan plan, PersonFacts facts, PersonEventIndex events, DateTimeOffset now, ref DateTimeOffset? next)
        {
            var list = events.Slot(slot);
            var window = condition.Window;
            if (window.From is { } from) next = ValueTest.Earliest(next, from, now);
            if (window.To is { } to) next = ValueTest.Earliest(next, to, now);
            int after = FirstAfter(list, now);
            if (after < list.Count) next = ValueTest.Earliest(next, list[after].Event.Time, now);
            int lo, hi = after;
            if (window.Within is { } within)
            {
                lo = FirstAfter(list, now - within);
                if (lo < list.Count) next = ValueTest.Earliest(next, list[lo].Event.Time + within, now);
            }
            else if (window.From is { } start)
            {
                lo = FirstAtOrAfter(list, start);
                hi = Math.Min(hi, FirstAtOrAfter(list, window.To!.Value));
            }
            else
            {
                lo = 0;
            }

            if (condition.Occurrence is { Test.Op: ValueOperator.Within or ValueOperator.OlderThan } timed)
            {
                var duration = timed.Test.Duration;
                int passing = FirstAfter(list, now - duration);
                if (passing < list.Count) next = ValueTest.Earliest(next, list[passing].Event.Time + duration, now);
            }

            int count = Math.Max(0, hi - lo);
            if (condition.Aggregate is { } aggregate)
            {
                long valued = 0;
                double sum = 0, min = double.PositiveInfinity, max = double.NegativeInfinity;
                for (int i = lo; i < hi; i++)
                {
                    if (SegmentEvaluator.AggregateInput(aggregate, list[i].Event) is not { } x) continue;
                    valued++;
                    sum += x;
                    min = Math.Min(min, x);
                    max = Math.Max(max, x);
                }

                return aggregate.Matches(valued, sum, min, max);
            }

            if (condition.Occurrence is { } occurrence)
            {
                return count > 0 && occurrence.Test.MatchesDate(list[occurrence.First ? lo : hi - 1].Event.Time, now);
            }

            return (condition.Count ?? DidOnce).Matches(count);
        }
    }

    /// <summary>
    /// Some did event a with a + within ≤ now and no thenNot event in [a, a + within]: one walk of the did events with a
    /// pointer into the thenNot events (both in time order). Next change candidates: each did event's time and time +
    /// within, each thenNot event's time.
    /// </summary>
    private sealed class SequenceNode(SequenceCondition condition, int didSlot, int thenNotSlot) : Node
    {
        public override bool Evaluate(LiveSegmentPlan plan, PersonFacts facts, PersonEventIndex events, DateTimeOffset now, ref DateTimeOffset? next)
        {
            var did = events.Slot(didSlot);
            var thenNot = events.Slot(thenNotSlot);
            var within = condition.Within;
            int didAfter = FirstAfter(did, now);
            if (didAfter < did.Count) next = ValueTest.Earliest(next, did[didAfter].Event.Time, now);
            int expiring = FirstAfter(did, now - within);
            if (expiring < did.Count) next = ValueTest.Earliest(next, did[expiring].Event.Time + within, now);
            int thenAfter = FirstAfter(thenNot, now);
            if (thenAfter < thenNot.Count) next = ValueTest.Earliest(next, thenNot[thenAfter].Event.Time, now);

            int j = 0;
            for (int i = 0; i < did.Count; i++)
            {
                var a = did[i].Event.Time;
                var end = a + within;
                if (end > now) break; // Later did events end later still.
                while (j < thenNot.Count && thenNot[j].Event.Time < a) j++;
                if (j == thenNot.Count || thenNot[j].Event.Time > end) return true;
            }

            return false;
        }
    }
}
