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
    // The kept events, parsed once, in time order (ties by sequence) per name and per filtered match of the set's plan.
    private PersonEventIndex? _index;
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
                if (e.Sequence > _lastSequence && set.EventNames.Contains(e.Name)) _index!.Add(e.Sequence, Parse(e, set.PropertyEventNames.Contains(e.Name)));
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
        _index = null;
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
        else if (!ReferenceEquals(_index?.Plan, set.Plan))
        {
            // New definitions over the same names: the kept events, indexed for the new plan.
            var index = new PersonEventIndex(set.Plan);
            if (_index is not null) foreach (var kept in _index.Events()) index.Add(kept.Sequence, kept.Event);
            _index = index;
        }

        _set = set;
    }

    private async Task LoadAsync(LiveSegmentSet set, long bound)
    {
        _memberships ??= new Dictionary<string, DateTimeOffset>(await StoredMembershipsAsync().ConfigureAwait(true), StringComparer.Ordinal);
        _index = new PersonEventIndex(set.Plan);
        _nextFor = null;
        if (set.EventNames.Count > 0 && bound > 0)
        {
            var loaded = await history.LoadAsync(_appId, _personId, set.EventNames, bound).ConfigureAwait(true);
            loaded.Sort((a, b) => a.Event.Time != b.Event.Time ? a.Event.Time.CompareTo(b.Event.Time) : a.Sequence.CompareTo(b.Sequence));
            foreach (var (sequence, e) in loaded)
            {
                _index.Add(sequence, e.Properties is not null && !set.PropertyEventNames.Contains(e.Name) ? e with { Properties = null } : e);
            }
        }

        _lastSequence = Math.Max(_lastSequence, bound);
        _set = set;
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
        var index = _index!;
        if (set.Retention is { } retention) index.DropBefore(now - retention);

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
        var plan = set.Plan;
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

            var (matches, next) = plan.Evaluate(i, facts, index, now);
            _next[i] = next;
            bool member = current.ContainsKey(segment.Id);
            if (matches == member) continue;
            if (matches) current[segment.Id] = now;
            else current.Remove(segment.Id);
            (transitions ??= []).Add(new MembershipTransition(segment.Id, segment.Name, matches, now));
        }

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
        ? new PersonFacts { PersonId = _personId }
        : new PersonFacts
        {
            PersonId = _personId,
            Attributes = profile.Attributes,
            Technology = profile.Technology,
            Sessions = profile.Sessions,
            FirstSeen = profile.FirstSeen,
            LastActive = profile.LastActive,
        };

    private sealed record ProfileFacts(PersonFacts Facts, string? UserId, string? AnonymousId);
}
