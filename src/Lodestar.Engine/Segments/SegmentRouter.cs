using System.Text.Json;
using System.Threading.Channels;
using Lodestar.Core.Events;
using Lodestar.Core.Segments;
using Lodestar.Engine.Ingestion;
using Lodestar.Engine.Profiles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Lodestar.Engine.Segments;

/// <summary>
/// Routes durable events to the person grains of the per-user engine and records what they decide. Events come
/// from the ingestion writer in sequence order; each step groups them per person, asks every person's grain at
/// once, then stores the membership changes, the re-evaluation timers and the cursor in one transaction and emits
/// <c>$segmentEntered</c>/<c>$segmentLeft</c> through the pipeline; that commit runs while the grains work on the next
/// step (commits in step order). At start it replays every event after the
/// stored cursor, so events stored but not processed before a crash are processed after the restart. Between
/// steps it sweeps due timers (re-evaluating exactly those persons) and looks for segment definition changes.
/// </summary>
public sealed partial class SegmentRouter : BackgroundService, IStoredEventConsumer
{
    public const string EnteredEvent = "$segmentEntered";
    public const string LeftEvent = "$segmentLeft";
    public const string EventSource = "lodestar";

    private static readonly IReadOnlyList<StoredEvent> Tick = [];
    private static readonly TimeSpan ProjectorWait = TimeSpan.FromSeconds(30);

    private readonly Channel<IReadOnlyList<StoredEvent>> _queue = Channel.CreateUnbounded<IReadOnlyList<StoredEvent>>(
        // Unbounded: the router itself feeds the pipeline (emitted events), so it must never block the writer.
        new UnboundedChannelOptions { SingleReader = true });

    private readonly IGrainFactory _grains;
    private readonly ILiveSegments _segments;
    private readonly ISegmentMembershipStore _store;
    private readonly IEventStore _events;
    private readonly ProfileProjector _projector;
    private readonly IServiceProvider _services;
    private readonly TimeProvider _time;
    private readonly EngineOptions _options;
    private readonly ILogger<SegmentRouter> _logger;
    private readonly SequenceProgress _processed = new();
    private IngestionPipeline? _pipeline;
    // The last event handed to the grains; the cursor (_processed) follows it once that step's commit is stored.
    private long _routed;
    // The commit of the last step, run while the grains work on the next one; steps commit in order.
    private Task _committing = Task.CompletedTask;
    private const int EmitBatch = 10_000;
    private static readonly TimeSpan ForgetInterval = TimeSpan.FromSeconds(1);
    private readonly SemaphoreSlim _emitting = new(1, 1);
    // Kept events are waiting in the store (the last run's, or after a failed emission): emit from there first.
    private bool _emitBacklog = true;
    private long _emittedThrough;
    private DateTimeOffset _forgottenAt = DateTimeOffset.MinValue;
    private long _definitionsSeen = long.MinValue;

    public SegmentRouter(
        IGrainFactory grains,
        ILiveSegments segments,
        ISegmentMembershipStore store,
        IEventStore events,
        ProfileProjector projector,
        IServiceProvider services,
        IOptions<EngineOptions> options,
        TimeProvider time,
        ILogger<SegmentRouter> logger)
    {
        _grains = grains;
        _segments = segments;
        _store = store;
        _events = events;
        _projector = projector;
        _services = services;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>The sequence of the last event whose membership changes are recorded.</summary>
    public long ProcessedSequence => _processed.Value;

    public void Enqueue(IReadOnlyList<StoredEvent> stored) => _queue.Writer.TryWrite(stored);

    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>Waits until the memberships include every event up to <paramref name="sequence"/> (bounded).</summary>
    public Task WaitForAsync(long sequence, TimeSpan timeout, CancellationToken cancellationToken) =>
        _processed.WaitForAsync(sequence, timeout, cancellationToken);

    /// <summary>
    /// Completes when the commit in flight (of the step before the one now asking the grains) is stored. A grain
    /// reading its memberships from the store waits for it first, so it never reads them without that step's changes.
    /// </summary>
    public Task CommittedAsync() => Volatile.Read(ref _committing);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        long cursor = _store.Cursor;
        _processed.Advance(cursor);
        _routed = cursor;
        // Events a step kept but did not get into the pipeline before the last stop go first.
        await RunSafelyAsync(() => EmitAsync(null, 0)).ConfigureAwait(false);

        await ReplayAsync().ConfigureAwait(false);
        await CheckDefinitionsAsync().ConfigureAwait(false);

        using var ticks = new PeriodicTimer(_options.SweepInterval, _time);
        var ticking = TickAsync(ticks);
        var reader = _queue.Reader;
        // Drained to the end even on shutdown: the pipeline completes the queue after its last commit.
        while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            var pending = new List<StoredEvent>();
            bool tick = false;
            while (pending.Count < _options.MaxEventsPerStep && reader.TryRead(out var stored))
            {
                if (ReferenceEquals(stored, Tick))
                {
                    tick = true;
                    continue;
                }

                foreach (var e in stored)
                {
                    if (e.Sequence > _routed) pending.Add(e);
                }
            }

            await RunSafelyAsync(async () =>
            {
                if (pending.Count > 0) await StepAsync(pending).ConfigureAwait(false);
                if (tick)
                {
                    // Timers and definitions are read from the store: the last step's commit must be in it.
                    await _committing.ConfigureAwait(false);
                    await SweepAsync().ConfigureAwait(false);
                    await CheckDefinitionsAsync().ConfigureAwait(false);
                }
            }).ConfigureAwait(false);
        }

        await _committing.ConfigureAwait(false);
        if (_emittedThrough > 0 && !_emitBacklog)
        {
            try
            {
                _store.EmissionsDone(_emittedThrough);
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or IOException)
            {
                LogKeptEventsFailed(_logger, ex);
            }
        }

        ticks.Dispose();
        await ticking.ConfigureAwait(false);
    }

    private async Task TickAsync(PeriodicTimer timer)
    {
        while (await timer.WaitForNextTickAsync(CancellationToken.None).ConfigureAwait(false))
        {
            if (!_queue.Writer.TryWrite(Tick)) return;
        }
    }

    /// <summary>Retries a step until it succeeds: its events are durable and the cursor has not moved past them.</summary>
    private async Task RunSafelyAsync(Func<Task> step)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await step().ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (attempt < 5)
            {
                LogStepFailed(_logger, ex, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Give up on this step rather than stall every person behind it (its events stay in the event store).
                LogStepAbandoned(_logger, ex);
                return;
            }
        }
    }

    private async Task ReplayAsync()
    {
        long replayed = 0;
        while (true)
        {
            var chunk = _events.ReadFrom(_routed, _options.MaxEventsPerStep).ToList();
            if (chunk.Count == 0) break;
            await RunSafelyAsync(() => StepAsync(chunk)).ConfigureAwait(false);
            // A step given up on still moves on, or the replay would never end.
            if (_routed < chunk[^1].Sequence) _routed = chunk[^1].Sequence;
            replayed += chunk.Count;
        }

        await _committing.ConfigureAwait(false);
        if (replayed > 0) LogReplayed(_logger, replayed, ProcessedSequence);
    }

    /// <summary>Hands one run of events to the person grains, then records and emits what they decided.</summary>
    private async Task StepAsync(List<StoredEvent> events)
    {
        long last = events[^1].Sequence;
        await _projector.WaitForAsync(last, ProjectorWait, CancellationToken.None).ConfigureAwait(false);

        var work = new Dictionary<(string App, string Person), PersonWork>();
        var mergedAway = new List<(string App, string Person)>();
        foreach (var e in events)
        {
            if (e.Event.Internal && e.Event.Name is EnteredEvent or LeftEvent) continue;
            var set = _segments.For(e.AppId);
            bool merge = e.MergedPersonId is { } loser && loser != e.PersonId;
            if (set.Segments.Count == 0 && !merge) continue;
            if (!work.TryGetValue((e.AppId, e.PersonId), out var person))
            {
                person = new PersonWork(e.Sequence);
                work[(e.AppId, e.PersonId)] = person;
            }

            person.Last = e.Sequence;
            if (merge)
            {
                person.Merged = true;
                mergedAway.Add((e.AppId, e.MergedPersonId!));
            }

            // Internal (profile-only) messages are no events to segments, as in the batch SQL.
            if (!e.Event.Internal && set.EventNames.Contains(e.Event.Name))
                person.Events.Add(new TrackedEvent(e.Sequence, e.Event.Name, e.Event.Timestamp, e.Event.Value, e.Event.PropertiesJson));
        }

        var outcome = new StepOutcome();
        if (mergedAway.Count > 0)
        {
            foreach (var key in mergedAway) work.Remove(key);
            var ended = await Task.WhenAll(mergedAway.Select(key => _grains.GetGrain<IPersonSegmentsGrain>(PersonKey.Of(key.App, key.Person)).EndAsync()))
                .ConfigureAwait(false);
            for (int i = 0; i < ended.Length; i++) outcome.Add(mergedAway[i].App, mergedAway[i].Person, ended[i], emit: false);
        }

        // In slices: thousands of activations at once outrun Orleans placement on a small machine.
        foreach (var slice in work.Keys.Chunk(_options.MaxParallelPersons))
        {
            var updates = await Task.WhenAll(slice.Select(key =>
            {
                var person = work[key];
                var batch = new PersonEventBatch(person.Events, person.First, person.Last, person.Merged);
                return _grains.GetGrain<IPersonSegmentsGrain>(PersonKey.Of(key.App, key.Person)).ApplyAsync(batch);
            })).ConfigureAwait(false);
            for (int i = 0; i < slice.Length; i++) outcome.Add(slice[i].App, slice[i].Person, updates[i], emit: true);
        }

        // Pipelined: this step's commit runs while the grains work on the next step. Commits stay in step order (each
        // waits for the one before), and the cursor moves in the same transaction as the step's changes, so a crash
        // replays from the last stored step: its grains are activated afresh from the stores and decide the same.
        var previous = _committing;
        _routed = Math.Max(_routed, last);
        Volatile.Write(ref _committing, Task.Run(async () =>
        {
            await previous.ConfigureAwait(false);
            await CommitStepAsync(outcome, last).ConfigureAwait(false);
        }));
    }

    /// <summary>
    /// Commits one step's outcome, retrying the commit (not the grain calls, which have moved on) when it fails; a commit
    /// abandoned after the retries leaves its events in the event store, and the next step's commit moves the cursor past them.
    /// </summary>
    private Task CommitStepAsync(StepOutcome outcome, long cursor) => RunSafelyAsync(() => CommitAsync(outcome, cursor));

    /// <summary>Re-evaluates exactly the persons whose timers are due.</summary>
    private async Task SweepAsync()
    {
        var now = _time.GetUtcNow();
        while (true)
        {
            var due = _store.DueTimers(now, _options.MaxParallelPersons);
            if (due.Count == 0) return;
            var updates = await Task.WhenAll(due.Select(timer =>
                _grains.GetGrain<IPersonSegmentsGrain>(PersonKey.Of(timer.AppId, timer.PersonId)).ReevaluateAsync(_routed))).ConfigureAwait(false);
            var outcome = new StepOutcome();
            for (int i = 0; i < due.Count; i++)
            {
                outcome.Add(due[i].AppId, due[i].PersonId, updates[i], emit: true);
                // The swept row is replaced (or removed) whatever the grain reported, so it cannot fall due again.
                var next = updates[i].DueAt is { } at && at > now ? at : (DateTimeOffset?)null;
                outcome.Timers[(due[i].AppId, due[i].PersonId)] = new SegmentTimer(due[i].AppId, due[i].PersonId, next);
            }

            await CommitAsync(outcome, null).ConfigureAwait(false);
            if (due.Count < _options.MaxParallelPersons) return;
        }
    }

    /// <summary>
    /// A new or changed segment gets its initial membership (every person of its app evaluated once, the entries
    /// recorded); a deleted one ends its memberships. What has been done is stored, so a crash half-way redoes it.
    /// </summary>
    private async Task CheckDefinitionsAsync()
    {
        long version = _segments.Version;
        if (version == _definitionsSeen) return;
        var evaluated = _store.EvaluatedSegments();
        var current = new Dictionary<(string App, string Segment), string>();
        var changedApps = new List<string>();
        foreach (var app in _segments.Apps())
        {
            bool changed = false;
            foreach (var segment in _segments.For(app).Segments)
            {
                current[(app, segment.Id)] = segment.Fingerprint;
                if (!evaluated.TryGetValue((app, segment.Id), out var seen) || seen != segment.Fingerprint) changed = true;
            }

            if (changed) changedApps.Add(app);
        }

        var now = _time.GetUtcNow();
        foreach (var (app, segment) in evaluated.Keys.Where(key => !current.ContainsKey(key)))
        {
            _store.EndSegment(app, segment, now);
            _store.MarkEvaluated(app, segment, null);
        }

        if (changedApps.Count > 0)
        {
            // Persons still only in the projector's memory must be listed too.
            _projector.CheckpointNow();
            foreach (var app in changedApps)
            {
                var persons = _store.Persons(app);
                foreach (var slice in persons.Chunk(_options.MaxParallelPersons))
                {
                    var updates = await Task.WhenAll(slice.Select(person =>
                        _grains.GetGrain<IPersonSegmentsGrain>(PersonKey.Of(app, person)).ReevaluateAsync(_routed))).ConfigureAwait(false);
                    var outcome = new StepOutcome();
                    for (int i = 0; i < slice.Length; i++) outcome.Add(app, slice[i], updates[i], emit: true);
                    await CommitAsync(outcome, null).ConfigureAwait(false);
                }

                foreach (var segment in _segments.For(app).Segments) _store.MarkEvaluated(app, segment.Id, segment.Fingerprint);
                LogInitialMembership(_logger, app, persons.Count);
            }
        }

        _definitionsSeen = version;
    }

    private async Task CommitAsync(StepOutcome outcome, long? cursor)
    {
        // The step's events are kept in the same transaction as its changes (an outbox): a stop or a crash before the
        // pipeline has them leaves them kept, and the next start emits them.
        long kept = _store.Commit(outcome.Changes, outcome.Timers.Values, cursor, outcome.Emissions);
        if (cursor is { } sequence)
        {
            _processed.Advance(sequence);
        }

        if (outcome.Emissions.Count == 0) return;
        // Nothing after the commit may throw: retried, the commit would record the step's changes twice. When the kept
        // events cannot be read or forgotten, they are emitted from the store later (and emitted ones dropped as
        // duplicates, their messageIds being deterministic).
        try
        {
            await EmitAsync(outcome.Emissions, kept).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or IOException)
        {
            _emitBacklog = true;
            LogKeptEventsFailed(_logger, ex);
        }
    }

    /// <summary>
    /// Emits a step's events (<paramref name="fresh"/>, kept by the commit up to id <paramref name="kept"/>) from
    /// memory, or, while older kept events wait in the store (or with no step's events, at start), everything kept,
    /// from the store.
    /// </summary>
    private async Task EmitAsync(IReadOnlyList<SegmentEmission>? fresh, long kept)
    {
        await _emitting.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_emitBacklog || fresh is null)
            {
                await EmitKeptAsync().ConfigureAwait(false);
            }
            else if (!await IngestAsync(fresh).ConfigureAwait(false))
            {
                _emitBacklog = true;
            }
            else if (kept > 0)
            {
                // The store forgets emitted events in batches, not at every step: forgetting late costs nothing but
                // rows (an event emitted again after a crash is dropped as a duplicate).
                _emittedThrough = kept;
                var now = _time.GetUtcNow();
                if (now - _forgottenAt >= ForgetInterval)
                {
                    _store.EmissionsDone(kept);
                    _forgottenAt = now;
                }
            }
        }
        finally
        {
            _emitting.Release();
        }
    }

    private async Task<bool> IngestAsync(IEnumerable<SegmentEmission> emissions)
    {
        foreach (var group in emissions.GroupBy(e => e.AppId, StringComparer.Ordinal))
        {
            // A person erased after the step decided about them: their ids must not come back through the event.
            var events = group.Where(e => !_store.WasErased(e.AppId, e.PersonId)).Select(MembershipEvent).ToList();
            if (events.Count == 0) continue;
            try
            {
                _pipeline ??= _services.GetRequiredService<IngestionPipeline>();
                await _pipeline.IngestAsync(group.Key, events, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ChannelClosedException or IngestionUnavailableException or OperationCanceledException)
            {
                // The membership changes are stored; their events stay kept until the pipeline takes them.
                LogEmitFailed(_logger, ex, events.Count, group.Key);
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Hands the kept membership events to the ingestion pipeline, oldest first, and forgets them once it has them: at
    /// start (what the last run kept but did not emit) and after an emission failed, until none is left. When the
    /// pipeline cannot take them (the server is stopping, the store failed) they stay kept for the next try.
    /// </summary>
    private async Task EmitKeptAsync()
    {
        while (true)
        {
            var pending = _store.PendingEmissions(EmitBatch);
            if (pending.Count == 0)
            {
                _emitBacklog = false;
                return;
            }

            if (!await IngestAsync(pending).ConfigureAwait(false)) return;
            _emittedThrough = pending[^1].Id;
            _store.EmissionsDone(_emittedThrough);
            _forgottenAt = _time.GetUtcNow();
        }
    }

    private sealed class PersonWork(long first)
    {
        public long First { get; } = first;

        public long Last { get; set; } = first;

        public bool Merged { get; set; }

        public List<TrackedEvent> Events { get; } = [];
    }

    /// <summary>What one step decided, gathered for one commit.</summary>
    private sealed class StepOutcome
    {
        public List<SegmentMembershipChange> Changes { get; } = [];

        public Dictionary<(string App, string Person), SegmentTimer> Timers { get; } = [];

        public List<SegmentEmission> Emissions { get; } = [];

        public void Add(string app, string person, PersonUpdate update, bool emit)
        {
            if (update.TimerChanged) Timers[(app, person)] = new SegmentTimer(app, person, update.DueAt);
            foreach (var transition in update.Transitions)
            {
                Changes.Add(new SegmentMembershipChange(app, transition.SegmentId, person, transition.Entered, transition.At));
                if (!emit || (update.UserId is null && update.AnonymousId is null)) continue;
                Emissions.Add(MembershipEmission(app, person, update, transition));
            }
        }
    }

    private static SegmentEmission MembershipEmission(string app, string person, PersonUpdate update, MembershipTransition transition) => new(
        0, app, person, transition.SegmentId, transition.SegmentName, transition.Entered, update.UserId, update.UserId is null ? update.AnonymousId : null, transition.At);

    private static IncomingEvent MembershipEvent(SegmentEmission emission) => new()
    {
        Type = EventTypes.Track,
        Name = emission.Entered ? EnteredEvent : LeftEvent,
        UserId = emission.UserId,
        AnonymousId = emission.AnonymousId,
        // Deterministic: a step redone after a crash, or a kept event emitted again, is the same message, which
        // de-duplication drops.
        MessageId = $"segment:{emission.SegmentId}:{emission.PersonId}:{(emission.Entered ? "entered" : "left")}:{emission.At.UtcTicks}",
        Timestamp = emission.At,
        // What JsonSerializer writes for the two properties (same escaping), without a dictionary per event.
        PropertiesJson = string.Concat(
            "{\"segmentId\":\"", JsonEncodedText.Encode(emission.SegmentId).ToString(),
            "\",\"segmentName\":\"", JsonEncodedText.Encode(emission.SegmentName).ToString(), "\"}"),
        Source = EventSource,
        Internal = true,
    };

    [LoggerMessage(5001, LogLevel.Information, "Replayed {Count} events into segment memberships (cursor now {Cursor})")]
    private static partial void LogReplayed(ILogger logger, long count, long cursor);

    [LoggerMessage(5002, LogLevel.Warning, "A segment engine step failed (attempt {Attempt}); retrying")]
    private static partial void LogStepFailed(ILogger logger, Exception exception, int attempt);

    [LoggerMessage(5003, LogLevel.Error, "A segment engine step failed repeatedly and was skipped")]
    private static partial void LogStepAbandoned(ILogger logger, Exception exception);

    [LoggerMessage(5009, LogLevel.Warning, "Could not read or forget the kept segment membership events; they are emitted from the store later (any emitted twice is dropped as a duplicate)")]
    private static partial void LogKeptEventsFailed(ILogger logger, Exception exception);

    [LoggerMessage(5004, LogLevel.Warning, "{Count} segment membership events of app {AppId} could not be emitted yet; they stay kept and are emitted later")]
    private static partial void LogEmitFailed(ILogger logger, Exception exception, int count, string appId);

    [LoggerMessage(5005, LogLevel.Information, "Initial segment membership of app {AppId} evaluated over {Persons} persons")]
    private static partial void LogInitialMembership(ILogger logger, string appId, int persons);
}
