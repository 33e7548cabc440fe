using System.Text.Json;
using System.Text.Json.Nodes;
using Lodestar.Core.Events;
using Lodestar.Core.Segments;
using Lodestar.Engine.Ingestion;
using Lodestar.Engine.Profiles;

namespace Lodestar.Engine.Segments;

/// <summary>
/// One person's real-time segment state: the events the app's criteria name (trimmed to the longest window) and
/// the current memberships. Derived state only: on activation it is rebuilt from the event store and the
/// membership store, so nothing is lost when the grain is collected or the process restarts.
/// </summary>
public sealed class PersonSegmentsGrain(
    ILiveSegments segments,
    IEventStore eventStore,
    EventStoreApplier applier,
    ProfileProjector projector,
    ISegmentMembershipStore memberships,
    TimeProvider time) : Grain, IPersonSegmentsGrain
{
    private const int MaxLoadedEvents = 1_000_000;
    private static readonly TimeSpan StoreWait = TimeSpan.FromSeconds(30);

    private string _appId = "";
    private string _personId = "";
    private LiveSegmentSet? _set;
    // Kept in time order (ties by sequence), parsed once; _sequences runs parallel to it.
    private List<PersonEvent> _events = [];
    private List<long> _sequences = [];
    private Dictionary<string, DateTimeOffset>? _memberships;
    private long _lastSequence;
    private bool _dueKnown;
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
                if (e.Sequence > _lastSequence && set.EventNames.Contains(e.Name)) Insert(e.Sequence, Parse(e));
            }
        }

        _lastSequence = Math.Max(_lastSequence, batch.LastSequence);
        return Evaluate(set);
    }

    public async Task<PersonUpdate> ReevaluateAsync(long processedSequence)
    {
        var set = segments.For(_appId);
        await EnsureLoadedAsync(set, processedSequence).ConfigureAwait(true);
        return Evaluate(set);
    }

    public Task<PersonUpdate> EndAsync()
    {
        var current = _memberships ?? new Dictionary<string, DateTimeOffset>(memberships.Memberships(_appId, _personId));
        var now = time.GetUtcNow();
        var names = segments.For(_appId).Segments.ToDictionary(s => s.Id, s => s.Name, StringComparer.Ordinal);
        var transitions = current.Keys.Order(StringComparer.Ordinal)
            .Select(id => new MembershipTransition(id, names.GetValueOrDefault(id, id), false, now)).ToList();
        _memberships = null;
        _events = [];
        _sequences = [];
        DeactivateOnIdle();
        return Task.FromResult(new PersonUpdate(transitions, true, null, null, null));
    }

    private async Task EnsureLoadedAsync(LiveSegmentSet set, long bound)
    {
        if (_memberships is null)
        {
            await LoadAsync(set, bound).ConfigureAwait(true);
        }
        else if (!ReferenceEquals(set, _set) && (_set is null || !set.EventNames.SetEquals(_set.EventNames) || set.Retention != _set.Retention))
        {
            // The definitions changed what must be kept: read the kept events again, up to what this grain has seen.
            await LoadAsync(set, _lastSequence).ConfigureAwait(true);
        }

        _set = set;
    }

    private async Task LoadAsync(LiveSegmentSet set, long bound)
    {
        _memberships ??= new Dictionary<string, DateTimeOffset>(memberships.Memberships(_appId, _personId), StringComparer.Ordinal);
        _events = [];
        _sequences = [];
        if (set.EventNames.Count > 0 && bound > 0)
        {
            await applier.WaitForAsync(bound, StoreWait, CancellationToken.None).ConfigureAwait(true);
            var stored = eventStore.PersonEvents(_appId, _personId, MaxLoadedEvents, includeInternal: false);
            for (int i = stored.Count - 1; i >= 0; i--)
            {
                var e = stored[i];
                if (e.Sequence > bound || !set.EventNames.Contains(e.Event.Name)) continue;
                if (PersonEvent.From(e) is { } kept) Insert(e.Sequence, kept);
            }
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

    private static PersonEvent Parse(TrackedEvent e)
    {
        JsonObject? properties = null;
        if (!string.IsNullOrEmpty(e.PropertiesJson))
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

    private PersonUpdate Evaluate(LiveSegmentSet set)
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
        var profile = set.Segments.Count == 0 ? null : projector.Find(_appId, _personId);
        var evaluation = set.Segments.Count == 0
            ? new LiveEvaluation(new HashSet<string>(), null)
            : set.Evaluate(_personId, profile, _events, now);

        List<MembershipTransition>? transitions = null;
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var segment in set.Segments)
        {
            known.Add(segment.Id);
            bool matches = evaluation.Matching.Contains(segment.Id);
            bool member = current.ContainsKey(segment.Id);
            if (matches == member) continue;
            if (matches) current[segment.Id] = now;
            else current.Remove(segment.Id);
            (transitions ??= []).Add(new MembershipTransition(segment.Id, segment.Name, matches, now));
        }

        // A deleted segment's memberships are ended in the store by the router; forget them here.
        if (current.Count > known.Count) foreach (var id in current.Keys.Where(id => !known.Contains(id)).ToList()) current.Remove(id);

        bool timerChanged = !_dueKnown || _due != evaluation.NextChangeAt;
        _dueKnown = true;
        _due = evaluation.NextChangeAt;
        if (transitions is null && !timerChanged) return new PersonUpdate([], false, _due, null, null);
        return new PersonUpdate(transitions ?? [], timerChanged, evaluation.NextChangeAt, profile?.UserId, profile?.AnonymousIds.FirstOrDefault());
    }
}
