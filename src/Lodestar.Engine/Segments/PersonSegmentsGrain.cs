using System.Text.Json;
using System.Text.Json.Nodes;
using Lodestar.Core.Profiles;
using Lodestar.Core.Segments;
using Lodestar.Engine.Profiles;

namespace Lodestar.Engine.Segments;

/// <summary>
/// One person's real-time segment state: the events the app's criteria name (trimmed to the longest window) and
/// the current memberships. Derived state only: on activation it is rebuilt from the event store and the
/// membership store, so nothing is lost when the grain is collected or the process restarts.
/// </summary>
public sealed class PersonSegmentsGrain(
    ILiveSegments segments,
    PersonHistoryLoader history,
    ProfileProjector projector,
    ISegmentMembershipStore memberships,
    SegmentRouter router,
    TimeProvider time) : Grain, IPersonSegmentsGrain
{
    private string _appId = "";
    private string _personId = "";
    private LiveSegmentSet? _set;
    // Kept in time order (ties by sequence), parsed once; _sequences runs parallel to it.
    private List<PersonEvent> _events = [];
    private List<long> _sequences = [];
    private readonly HashSet<string> _arrived = new(StringComparer.Ordinal);
    private Dictionary<string, DateTimeOffset>? _memberships;
    private long _lastSequence;
    private bool _dueKnown;
    private (string? UserId, string? AnonymousId)? _ids;
    // Each segment's own next change time, for the set it was computed with.
    private LiveSegmentSet? _nextFor;
    private DateTimeOffset?[] _next = [];
    private DateTimeOffset? _due;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (_appId, _personId) = PersonKey.Parse(this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }

    public async Task<PersonUpdate> ApplyAsync(PersonEventBatch batch)
    {
        var set = segments.For(_appId);
        if (batch.Merged)
        {
            // Another person's history now belongs to this one: read it all again.
            await LoadAsync(set, batch.LastSequence).ConfigureAwait(true);
        }
        else
        {
            await EnsureLoadedAsync(set, batch.FirstSequence - 1).ConfigureAwait(true);
            foreach (var e in batch.Events)
            {
                if (e.Sequence > _lastSequence && set.EventNames.Contains(e.Name)) Insert(e.Sequence, Parse(e, set.PropertyEventNames.Contains(e.Name)));
            }
        }

        _lastSequence = Math.Max(_lastSequence, batch.LastSequence);
        if (batch.Merged || !ReferenceEquals(_nextFor, set)) return Evaluate(set, null);
        _arrived.Clear();
        foreach (var e in batch.Events) _arrived.Add(e.Name);
        return Evaluate(set, _arrived);
    }

    public async Task<PersonUpdate> ReevaluateAsync(long processedSequence)
    {
        var set = segments.For(_appId);
        await EnsureLoadedAsync(set, processedSequence).ConfigureAwait(true);
        return Evaluate(set, null);
    }

    public async Task<PersonUpdate> EndAsync()
    {
        var current = _memberships ?? new Dictionary<string, DateTimeOffset>(await StoredMembershipsAsync().ConfigureAwait(true));
        var now = time.GetUtcNow();
        var names = segments.For(_appId).Segments.ToDictionary(s => s.Id, s => s.Name, StringComparer.Ordinal);
        var transitions = current.Keys.Order(StringComparer.Ordinal)
            .Select(id => new MembershipTransition(id, names.GetValueOrDefault(id, id), false, now)).ToList();
        _memberships = null;
        _nextFor = null;
        _events = [];
        _sequences = [];
        DeactivateOnIdle();
        return new PersonUpdate(transitions, true, null, null, null);
    }

    /// <summary>The memberships in the store, once the router's commit in flight (an earlier step's changes) is in it.</summary>
    private async Task<IReadOnlyDictionary<string, DateTimeOffset>> StoredMembershipsAsync()
    {
        await router.CommittedAsync().ConfigureAwait(true);
        return memberships.Memberships(_appId, _personId);
    }

    private async Task EnsureLoadedAsync(LiveSegmentSet set, long bound)
    {
        if (_memberships is null)
        {
            await LoadAsync(set, bound).ConfigureAwait(true);
        }
        else if (!ReferenceEquals(set, _set) && (_set is null || !set.EventNames.SetEquals(_set.EventNames) || set.Retention != _set.Retention ||
                 !set.PropertyEventNames.SetEquals(_set.PropertyEventNames)))
        {
            // The definitions changed what must be kept: read the kept events again, up to what this grain has seen.
            await LoadAsync(set, _lastSequence).ConfigureAwait(true);
        }

        _set = set;
    }

    private async Task LoadAsync(LiveSegmentSet set, long bound)
    {
        _memberships ??= new Dictionary<string, DateTimeOffset>(await StoredMembershipsAsync().ConfigureAwait(true), StringComparer.Ordinal);
        _events = [];
        _sequences = [];
        _nextFor = null;
        if (set.EventNames.Count > 0 && bound > 0)
        {
            var loaded = await history.LoadAsync(_appId, _personId, set.EventNames, bound).ConfigureAwait(true);
            loaded.Sort((a, b) => a.Event.Time != b.Event.Time ? a.Event.Time.CompareTo(b.Event.Time) : a.Sequence.CompareTo(b.Sequence));
            _events = [.. loaded.Select(e => e.Event.Properties is not null && !set.PropertyEventNames.Contains(e.Event.Name) ? e.Event with { Properties = null } : e.Event)];
            _sequences = [.. loaded.Select(e => e.Sequence)];
        }

        _lastSequence = Math.Max(_lastSequence, bound);
        _set = set;
    }

    /// <summary>Keeps events in time order (then sequence); most arrive in order, so this is an append.</summary>
    private void Insert(long sequence, PersonEvent e)
    {
        int at = _events.Count;
        while (at > 0 && (_events[at - 1].Time > e.Time || (_events[at - 1].Time == e.Time && _sequences[at - 1] > sequence))) at--;
        _events.Insert(at, e);
        _sequences.Insert(at, sequence);
    }

    /// <summary>The event as segments see it; its properties only when some criterion reads properties of its name.</summary>
    private static PersonEvent Parse(TrackedEvent e, bool withProperties)
    {
        JsonObject? properties = null;
        if (withProperties && !string.IsNullOrEmpty(e.PropertiesJson))
        {
            try
            {
                properties = JsonNode.Parse(e.PropertiesJson) as JsonObject;
            }
            catch (JsonException)
            {
                properties = null; // As PersonEvent.From and the batch SQL treat it.
            }
        }

        return new PersonEvent(e.Name, e.Timestamp, e.Value, properties);
    }

    /// <summary>
    /// Evaluates the segments whose answer may have changed: all of them when <paramref name="arrived"/> is null (new
    /// state, a timer, new definitions); else those naming an arrived event, those looking at the profile, and those
    /// whose own next change time has come. The others keep their answer and their next change time.
    /// </summary>
    private PersonUpdate Evaluate(LiveSegmentSet set, HashSet<string>? arrived)
    {
        var now = time.GetUtcNow();
        if (set.Retention is { } retention)
        {
            var oldest = now - retention;
            int drop = 0;
            while (drop < _events.Count && _events[drop].Time < oldest) drop++;
            if (drop > 0)
            {
                _events.RemoveRange(0, drop);
                _sequences.RemoveRange(0, drop);
            }
        }

        var current = _memberships!;
        if (!ReferenceEquals(_nextFor, set))
        {
            _nextFor = set;
            _next = new DateTimeOffset?[set.Segments.Count];
            arrived = null;
            // A deleted segment's memberships are ended in the store by the router; forget them here. Memberships of
            // other ids can only come with new definitions or a load from the store, both of which lead here.
            var defined = new HashSet<string>(set.Segments.Select(s => s.Id), StringComparer.Ordinal);
            List<string>? deleted = null;
            foreach (var id in current.Keys)
            {
                if (!defined.Contains(id)) (deleted ??= []).Add(id);
            }

            if (deleted is not null) foreach (var id in deleted) current.Remove(id);
        }

        var segmentsOfSet = set.Segments;
        var scratch = EvaluationScratch.Rent();
        ProfileFacts? profile = null;
        bool profileRead = false;
        PersonFacts? facts = null;
        List<MembershipTransition>? transitions = null;
        for (int i = 0; i < segmentsOfSet.Count; i++)
        {
            var segment = segmentsOfSet[i];
            bool due = arrived is null || segment.UsesProfile || _next[i] is { } at && at <= now || Overlap(segment.Events, arrived);
            if (!due) continue;
            if (facts is null || (segment.UsesProfile && !profileRead))
            {
                if (segment.UsesProfile && !profileRead)
                {
                    profile = projector.Read(_appId, _personId, ProfilePart);
                    profileRead = true;
                }

                facts = Facts(profile?.Facts);
            }

            var (matches, next) = set.Evaluate(i, facts, scratch.EventsOf(_events, segment.Events), now);
            _next[i] = next;
            bool member = current.ContainsKey(segment.Id);
            if (matches == member) continue;
            if (matches) current[segment.Id] = now;
            else current.Remove(segment.Id);
            (transitions ??= []).Add(new MembershipTransition(segment.Id, segment.Name, matches, now));
        }

        // The per-name index is rebuilt per call (nearly every call brings new events); its buffers go back to the thread.
        scratch.Return();
        DateTimeOffset? dueAt = null;
        foreach (var next in _next) if (next is { } at && (dueAt is null || at < dueAt)) dueAt = at;
        bool timerChanged = !_dueKnown || _due != dueAt;
        _dueKnown = true;
        _due = dueAt;
        if (transitions is null) return new PersonUpdate([], timerChanged, dueAt, null, null);
        // The emitted events need an id of the person; any one they have used resolves to them, so it is read once.
        if (profile is not null) _ids = (profile.UserId, profile.AnonymousId);
        else if (_ids is null && projector.Read(_appId, _personId, ProfilePart) is { } read) _ids = (read.UserId, read.AnonymousId);
        return new PersonUpdate(transitions, timerChanged, dueAt, _ids?.UserId, _ids?.AnonymousId);
    }

    private static bool Overlap(IReadOnlySet<string> names, HashSet<string> arrived)
    {
        // The arrived names are few (one batch of one person); the segment's set answers each in constant time.
        foreach (var name in arrived)
        {
            if (names.Contains(name)) return true;
        }

        return false;
    }

    /// <summary>What evaluation needs of the profile, copied under the projector's lock (the fold goes on meanwhile).</summary>
    private static ProfileFacts ProfilePart(Profile profile)
    {
        var facts = PersonFacts.From(profile, []);
        return new ProfileFacts(
            new PersonFacts
            {
                PersonId = profile.PersonId,
                Attributes = (JsonObject)facts.Attributes.DeepClone(),
                Technology = facts.Technology,
                Sessions = facts.Sessions,
                FirstSeen = facts.FirstSeen,
                LastActive = facts.LastActive,
            },
            profile.UserId,
            profile.AnonymousIds.FirstOrDefault());
    }

    private PersonFacts Facts(PersonFacts? profile) => profile is null
        ? new PersonFacts { PersonId = _personId, Events = _events }
        : new PersonFacts
        {
            PersonId = _personId,
            Attributes = profile.Attributes,
            Technology = profile.Technology,
            Sessions = profile.Sessions,
            FirstSeen = profile.FirstSeen,
            LastActive = profile.LastActive,
            Events = _events,
        };

    private sealed record ProfileFacts(PersonFacts Facts, string? UserId, string? AnonymousId);

    /// <summary>
    /// Buffers for one evaluation, one set per thread: the kept events split by name, and the events of each set of names
    /// (segments naming the same events share one set object, so its events are gathered once). A grain evaluates without
    /// awaiting, so the buffers serve one evaluation at a time, and a person keeps no memory for them between calls.
    /// </summary>
    private sealed class EvaluationScratch
    {
        private const int LargestKeptList = 4_096;

        [ThreadStatic]
        private static EvaluationScratch? t_free;

        private readonly Dictionary<string, List<PersonEvent>> _byName = new(StringComparer.Ordinal);
        private readonly Dictionary<IReadOnlySet<string>, List<PersonEvent>> _merged = new(ReferenceEqualityComparer.Instance);
        private readonly List<List<PersonEvent>> _lists = [];
        private int _listsUsed;
        private bool _indexed;

        public static EvaluationScratch Rent()
        {
            var scratch = t_free ?? new EvaluationScratch();
            t_free = null;
            return scratch;
        }

        public void Return()
        {
            for (int i = 0; i < _listsUsed; i++)
            {
                if (_lists[i].Capacity > LargestKeptList) _lists[i] = [];
                else _lists[i].Clear();
            }

            _listsUsed = 0;
            _byName.Clear();
            _merged.Clear();
            _indexed = false;
            t_free = this;
        }

        /// <summary><paramref name="events"/> of the given names, in their order.</summary>
        public IReadOnlyList<PersonEvent> EventsOf(List<PersonEvent> events, IReadOnlySet<string> names)
        {
            if (names.Count == 0) return [];
            if (names.Count > 1)
            {
                if (_merged.TryGetValue(names, out var known)) return known;
                var merged = List();
                foreach (var e in events)
                {
                    if (names.Contains(e.Name)) merged.Add(e);
                }

                _merged[names] = merged;
                return merged;
            }

            if (!_indexed)
            {
                foreach (var e in events)
                {
                    if (!_byName.TryGetValue(e.Name, out var list)) _byName[e.Name] = list = List();
                    list.Add(e);
                }

                _indexed = true;
            }

            foreach (var name in names) return _byName.GetValueOrDefault(name) ?? (IReadOnlyList<PersonEvent>)[];
            return [];
        }

        private List<PersonEvent> List()
        {
            if (_listsUsed == _lists.Count) _lists.Add([]);
            return _lists[_listsUsed++];
        }
    }
}
