using Lodestar.Core.Segments;

namespace Lodestar.Engine.Segments;

/// <summary>
/// The saved segments of every app, compiled for the person grains with the reference <see cref="SegmentEvaluator"/>
/// (so real-time membership has the batch answer's meaning). Recompiled when <see cref="ISegmentStore.Version"/> moves.
/// </summary>
public sealed class SavedLiveSegments(ISegmentStore? store = null) : ILiveSegments
{
    private static readonly Compiled Empty = new([]);

    private readonly Lock _lock = new();
    private long _version = long.MinValue;
    private Dictionary<string, Compiled> _apps = new(StringComparer.Ordinal);

    public long Version => store?.Version ?? 0;

    public LiveSegmentSet For(string appId) => Current().GetValueOrDefault(appId) ?? Empty;

    public IReadOnlyList<string> Apps() => [.. Current().Keys];

    private Dictionary<string, Compiled> Current()
    {
        if (store is null) return _apps;
        long version = store.Version;
        if (version == Volatile.Read(ref _version)) return _apps;
        lock (_lock)
        {
            if (version == _version) return _apps;
            _apps = store.ListAll().GroupBy(s => s.AppId, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => new Compiled([.. g]), StringComparer.Ordinal);
            Volatile.Write(ref _version, version);
            return _apps;
        }
    }

    /// <summary>One app's segments: what the grains keep, and all of them evaluated over one set of facts.</summary>
    private sealed class Compiled : LiveSegmentSet
    {
        private readonly Dictionary<string, SegmentCondition> _byId;
        private readonly Func<string, SegmentCondition?> _lookup;

        public Compiled(SavedSegment[] saved)
        {
            _byId = saved.ToDictionary(s => s.Id, s => s.Criteria, StringComparer.Ordinal);
            _lookup = id => _byId.GetValueOrDefault(id);
            // Equal sets of names become one object, so the grains gather each set's events once per evaluation.
            var shared = new List<IReadOnlySet<string>>();
            IReadOnlySet<string> Shared(IReadOnlySet<string> names)
            {
                foreach (var known in shared) if (known.SetEquals(names)) return known;
                shared.Add(names);
                return names;
            }

            Segments = [.. saved.Select(s => new LiveSegment(s.Id, s.Name, $"{s.UpdatedAt.UtcTicks}:{s.CriteriaJson}",
                Shared(SegmentEvaluator.ReferencedEvents(s.Criteria, _lookup)),
                SegmentEvaluator.Walk(s.Criteria, _lookup).Any(node => node is AttributeCondition or TechnologyCondition or SessionsCondition)))];
            var names = new HashSet<string>(StringComparer.Ordinal);
            TimeSpan? retention = TimeSpan.Zero;
            foreach (var segment in saved)
            {
                names.UnionWith(SegmentEvaluator.ReferencedEvents(segment.Criteria, _lookup));
                var lookback = SegmentEvaluator.EventLookback(segment.Criteria, _lookup);
                retention = lookback is null || retention is null ? null : lookback > retention ? lookback : retention;
            }

            EventNames = names;
            Retention = retention;
            var withProperties = new HashSet<string>(StringComparer.Ordinal);
            foreach (var segment in saved)
            {
                foreach (var node in SegmentEvaluator.Walk(segment.Criteria, _lookup))
                {
                    switch (node)
                    {
                        case EventCondition e:
                            if (e.Match.Filters.Count > 0 || e.Aggregate is { Property: not AggregateTest.EventValue }) withProperties.Add(e.Match.Event);
                            break;
                        case SequenceCondition s:
                            if (s.Did.Filters.Count > 0) withProperties.Add(s.Did.Event);
                            if (s.ThenNot.Filters.Count > 0) withProperties.Add(s.ThenNot.Event);
                            break;
                    }
                }
            }

            PropertyEventNames = withProperties;
            Plan = new LiveSegmentPlan([.. saved.Select(s => s.Criteria)], _lookup);
        }

        public override IReadOnlyList<LiveSegment> Segments { get; }

        public override IReadOnlySet<string> EventNames { get; }

        public override TimeSpan? Retention { get; }

        public override IReadOnlySet<string> PropertyEventNames { get; }

        public override LiveSegmentPlan Plan { get; }
    }
}
