using System.Diagnostics;
using System.Threading.Channels;
using Lodestar.Core.Events;
using Lodestar.Core.Identity;
using Lodestar.Engine.Identity;
using Lodestar.Engine.Profiles;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Lodestar.Engine.Ingestion;

/// <summary>
/// The single writer between protocol endpoints and the stores. Endpoints hand it validated messages and
/// wait; it gathers whatever is queued into one group commit (de-duplicate → resolve identity → save
/// identity changes → append events durably), then answers every waiting request at once and passes the
/// stored events on to the profile projector.
/// </summary>
public sealed partial class IngestionPipeline : BackgroundService
{
    private readonly Channel<Submission> _queue;
    private readonly IEventStore _events;
    private readonly IIdentityStore _identities;
    private bool _mergesBehind;
    private readonly ProfileProjector _projector;
    private readonly IStoredEventConsumer[] _consumers;
    private readonly EventLog _log;
    private readonly EventStoreApplier _applier;
    private readonly TimeProvider _time;
    private readonly ILogger<IngestionPipeline> _logger;
    private readonly IngestionOptions _options;
    private readonly IdentityResolver _resolver;
    private readonly IPersonDataMerger[] _mergers;
    private readonly DeduplicationWindow _seen;
    // The ids of the commit being built; one set, emptied for each commit.
    private readonly HashSet<UInt128> _inBatch = [];
    private long _nextSequence;
    private DateTimeOffset _shortenedLoggedAt = DateTimeOffset.MinValue;
    private DateTimeOffset? _shortenedLogged;
    private long _committedSequence;

    public IngestionPipeline(
        IEnumerable<IPersonDataMerger> mergers,
        IEventStore events,
        IIdentityStore identities,
        ProfileProjector projector,
        EventLog log,
        EventStoreApplier applier,
        IOptions<IngestionOptions> options,
        TimeProvider time,
        ILogger<IngestionPipeline> logger,
        IEnumerable<IStoredEventConsumer> consumers)
    {
        _consumers = [.. consumers];
        _events = events;
        _identities = identities;
        _projector = projector;
        _log = log;
        _applier = applier;
        _time = time;
        _logger = logger;
        _options = options.Value;
        _resolver = new IdentityResolver(identities);
        _mergers = [.. mergers];
        _seen = new DeduplicationWindow(_options.DeduplicationWindow, _options.DeduplicationMaxIds);
        _queue = Channel.CreateBounded<Submission>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>The sequence number of the last event made durable.</summary>
    public long CommittedSequence => Interlocked.Read(ref _committedSequence);

    /// <summary>Stores the app's messages durably, in order. Completes once they are durable.</summary>
    public async ValueTask<IngestOutcome[]> IngestAsync(string appId, IReadOnlyList<IncomingEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0) return [];
        var submission = new Submission(appId, events, _time.GetUtcNow());
        await _queue.Writer.WriteAsync(submission, cancellationToken).ConfigureAwait(false);
        return await submission.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs an action on the writer, between two commits, so it sees and changes state no append races with
    /// (erasing a person, for example).
    /// </summary>
    public async Task<T> RunExclusiveAsync<T>(Func<T> action, CancellationToken cancellationToken)
    {
        var submission = new Submission("", [], _time.GetUtcNow()) { Exclusive = () => action()! };
        await _queue.Writer.WriteAsync(submission, cancellationToken).ConfigureAwait(false);
        await submission.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return (T)submission.ExclusiveResult!;
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _nextSequence = _events.MaxSequence() + 1;
        _resolver.Load();
        // Merges the identity store saved but a crash kept the other stores from following: apply them again, in order.
        var pending = _identities.PendingMerges();
        if (pending.Count > 0)
        {
            FollowMerges(pending);
            LogPendingMergesApplied(_logger, pending.Count);
        }

        _committedSequence = _nextSequence - 1;
        var now = _time.GetUtcNow();
        foreach (var (appId, messageId, receivedAt) in _events.RecentMessageIds(now - _options.DeduplicationWindow))
        {
            _seen.Add(DeduplicationWindow.Key(appId, messageId), receivedAt);
        }

        LogStarted(_logger, _nextSequence - 1, _seen.Count);
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Stop taking new work, then let the writer drain what is queued.
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => WriteLoopAsync(), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    private async Task WriteLoopAsync()
    {
        var batch = new List<Submission>();
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            int events = 0;
            while (events < _options.MaxEventsPerCommit && reader.TryPeek(out var next))
            {
                if (next.Exclusive is not null)
                {
                    if (batch.Count > 0) break;
                    reader.TryRead(out _);
                    RunExclusive(next);
                    continue;
                }

                reader.TryRead(out _);
                batch.Add(next);
                events += next.Events.Count;
            }

            if (batch.Count > 0) Commit(batch, events);
        }

        _applier.Complete();
        _projector.Complete();
        foreach (var consumer in _consumers) consumer.Complete();
    }

    private void RunExclusive(Submission submission)
    {
        try
        {
            submission.ExclusiveResult = submission.Exclusive!();
            // The action may have changed identities underneath (an erasure): re-read them from the store.
            _resolver.Abandon();
            submission.Completion.TrySetResult([]);
        }
        catch (Exception ex)
        {
            submission.Completion.TrySetException(ex);
        }
    }

    private void Commit(List<Submission> batch, int events)
    {
        long commitStart = Stopwatch.GetTimestamp();
        long firstSequence = _nextSequence;
        LoggedRecord? record = null;
        var stored = new List<StoredEvent>(events);
        var inBatch = _inBatch;
        inBatch.Clear();
        try
        {
            foreach (var submission in batch)
            {
                var outcomes = new IngestOutcome[submission.Events.Count];
                for (int i = 0; i < outcomes.Length; i++)
                {
                    var e = submission.Events[i];
                    if (e.MessageId is { } messageId)
                    {
                        var key = DeduplicationWindow.Key(submission.AppId, messageId);
                        if (_seen.Contains(key) || !inBatch.Add(key))
                        {
                            outcomes[i] = IngestOutcome.Duplicate;
                            continue;
                        }
                    }

                    var resolution = _resolver.Resolve(submission.AppId, e);
                    stored.Add(new StoredEvent
                    {
                        Sequence = _nextSequence++,
                        AppId = submission.AppId,
                        PersonId = resolution.PersonId,
                        MergedPersonId = resolution.MergedPersonId,
                        NewPerson = resolution.NewPerson,
                        ReceivedAt = submission.ReceivedAt,
                        Event = e,
                    });
                    outcomes[i] = IngestOutcome.Stored;
                }

                submission.Outcomes = outcomes;
            }

            // Identity first: an event must never be durable with a person its ids cannot find again.
            _identities.Save(_resolver.PendingLinks, _resolver.PendingMerges);
            // After a failed follow the journal holds older merges too: apply them all, in order.
            if (_resolver.PendingMerges.Count > 0) FollowMerges(_mergesBehind ? _identities.PendingMerges() : _resolver.PendingMerges);

            record = _log.Append(stored);
            _resolver.Committed();
        }
        catch (Exception ex)
        {
            _resolver.Abandon();
            _nextSequence = _committedSequence + 1;
            LogCommitFailed(_logger, ex, stored.Count);
            var failure = new IngestionUnavailableException("The event store could not save the events; retry later.", ex);
            foreach (var submission in batch) submission.Completion.TrySetException(failure);
            return;
        }

        var now = _time.GetUtcNow();
        foreach (var key in inBatch) _seen.Add(key, now);
        _seen.Expire(now);
        // Said again (at most every 10 minutes) only while the cap keeps shortening the window.
        if (_seen.ShortenedSince is { } since && since != _shortenedLogged && now - _shortenedLoggedAt >= TimeSpan.FromMinutes(10))
        {
            _shortenedLoggedAt = now;
            _shortenedLogged = since;
            LogDeduplicationShortened(_logger, _options.DeduplicationMaxIds, since, _options.DeduplicationWindow);
        }
        Interlocked.Exchange(ref _committedSequence, _nextSequence - 1);
        foreach (var submission in batch) submission.Completion.TrySetResult(submission.Outcomes!);
        long committed = Stopwatch.GetTimestamp();
        IngestionMetrics.CommitSeconds.Record(Stopwatch.GetElapsedTime(commitStart, committed).TotalSeconds);
        IngestionMetrics.EventsStored.Add(stored.Count);
        if (IngestionMetrics.SubmissionSeconds.Enabled)
        {
            foreach (var submission in batch) IngestionMetrics.SubmissionSeconds.Record(Stopwatch.GetElapsedTime(submission.Queued, committed).TotalSeconds);
        }

        if (record is not null)
        {
            _applier.Enqueue(record);
            _projector.Enqueue(stored);
            foreach (var consumer in _consumers) consumer.Enqueue(stored);
        }
        LogCommitted(_logger, stored.Count, firstSequence, batch.Count);
    }

    /// <summary>
    /// Makes the event store's key overrides and the per-person stores follow merges the identity store has saved, then
    /// empties the identity store's journal of them. Each step is idempotent, so a crash anywhere in between is repaired
    /// by applying the journal again at the next start.
    /// </summary>
    private void FollowMerges(IReadOnlyList<(string AppId, string FromPersonId, string ToPersonId)> merges)
    {
        _mergesBehind = true;
        foreach (var (appId, from, to) in merges)
        {
            _events.RecordMerge(appId, from, to);
            MergePersonData(appId, from, to);
        }

        _identities.MergesApplied();
        _mergesBehind = false;
    }

    /// <summary>
    /// Moves per-person state (the inbox) with a merge. The merge itself is saved already, so a store failing here must
    /// not fail the events: they are stored, and the failure is logged with the persons so the state can be moved by hand.
    /// </summary>
    private void MergePersonData(string appId, string fromPersonId, string toPersonId)
    {
        foreach (var merger in _mergers)
        {
            try
            {
                merger.Merge(appId, fromPersonId, toPersonId);
            }
            catch (Exception ex)
            {
                LogMergeFailed(_logger, ex, merger.GetType().Name, appId, fromPersonId, toPersonId);
            }
        }
    }

    private sealed class Submission(string appId, IReadOnlyList<IncomingEvent> events, DateTimeOffset receivedAt)
    {
        public string AppId { get; } = appId;

        public IReadOnlyList<IncomingEvent> Events { get; } = events;

        public DateTimeOffset ReceivedAt { get; } = receivedAt;

        /// <summary>When it was queued (a <see cref="Stopwatch"/> timestamp), for the submission-time metric.</summary>
        public long Queued { get; } = Stopwatch.GetTimestamp();

        public IngestOutcome[]? Outcomes { get; set; }

        public Func<object>? Exclusive { get; init; }

        public object? ExclusiveResult { get; set; }

        public TaskCompletionSource<IngestOutcome[]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(1001, LogLevel.Information, "Ingestion ready: {Sequence} events stored, {Remembered} messageIds remembered for de-duplication")]
    private static partial void LogStarted(ILogger logger, long sequence, long remembered);

    [LoggerMessage(1006, LogLevel.Warning, "De-duplication holds its cap of {MaxIds} messageIds: it remembers the ids received since {Since:u} only, not the whole {Window} window. Raise Lodestar:Ingestion:DeduplicationMaxIds (15 to 26 bytes an id) to remember more.")]
    private static partial void LogDeduplicationShortened(ILogger logger, long maxIds, DateTimeOffset since, TimeSpan window);

    [LoggerMessage(1002, LogLevel.Debug, "Committed {Count} events from sequence {First} for {Requests} requests")]
    private static partial void LogCommitted(ILogger logger, int count, long first, int requests);

    [LoggerMessage(1004, LogLevel.Error, "{Store} could not move person {FromPersonId} of app {AppId} into {ToPersonId} at a login merge")]
    private static partial void LogMergeFailed(ILogger logger, Exception exception, string store, string appId, string fromPersonId, string toPersonId);

    [LoggerMessage(1005, LogLevel.Warning, "Applied {Count} person merges that were saved before the last stop but not yet followed by the event store and the per-person stores")]
    private static partial void LogPendingMergesApplied(ILogger logger, int count);

    [LoggerMessage(1003, LogLevel.Error, "Committing {Count} events failed; their requests were answered with an error")]
    private static partial void LogCommitFailed(ILogger logger, Exception exception, int count);
}
