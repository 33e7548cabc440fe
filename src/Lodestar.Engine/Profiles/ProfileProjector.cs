using System.Threading.Channels;
using Lodestar.Core.Events;
using Lodestar.Core.Profiles;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lodestar.Engine.Profiles;

/// <summary>
/// Keeps profiles up to date by folding stored events into them, behind the ingestion writer so the
/// client's answer never waits for it. Its cursor is saved with the profiles; at start it replays every
/// event stored after the cursor, so a crash loses no profile change.
/// </summary>
public sealed partial class ProfileProjector(IEventStore events, IProfileStore profiles, ILogger<ProfileProjector> logger) : BackgroundService
{
    private const int ReplayChunk = 50_000;
    private const int MaxCachedProfiles = 100_000;

    private readonly Channel<IReadOnlyList<StoredEvent>> _queue = Channel.CreateBounded<IReadOnlyList<StoredEvent>>(
        new BoundedChannelOptions(256) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly Dictionary<(string App, string Person), Profile> _cache = [];
    private readonly Lock _waitersLock = new();
    private long _applied;
    private TaskCompletionSource _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The sequence of the last event folded into the stored profiles.</summary>
    public long AppliedSequence => Interlocked.Read(ref _applied);

    /// <summary>Queues events the pipeline made durable. Blocks the writer when the projector falls far behind.</summary>
    public void Enqueue(IReadOnlyList<StoredEvent> stored)
    {
        if (!_queue.Writer.TryWrite(stored)) _queue.Writer.WriteAsync(stored).AsTask().GetAwaiter().GetResult();
    }

    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>Waits until the profiles include every event up to <paramref name="sequence"/> (read-your-writes for the API).</summary>
    public async Task WaitForAsync(long sequence, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        while (AppliedSequence < sequence)
        {
            Task progress;
            lock (_waitersLock) progress = _progress.Task;
            if (AppliedSequence >= sequence) return;
            try
            {
                await progress.WaitAsync(timer.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return; // Answer with what is there rather than fail the read.
            }
        }
    }

    /// <summary>Drops cached profiles (after an erasure changed the store underneath).</summary>
    public void Invalidate(string appId, string personId) => _cache.Remove((appId, personId));

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _applied = profiles.Cursor;
        CatchUp();
        return base.StartAsync(cancellationToken);
    }

    /// <summary>Retries from the saved cursor until the store answers again (a full disk, a locked file).</summary>
    private async Task RecoverAsync()
    {
        while (true)
        {
            _cache.Clear();
            await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None).ConfigureAwait(false);
            try
            {
                CatchUp();
                return;
            }
            catch (Exception ex)
            {
                LogApplyFailed(logger, ex, 0);
            }
        }
    }

    /// <summary>Folds every stored event after the saved cursor.</summary>
    private void CatchUp()
    {
        long cursor = profiles.Cursor;
        long replayed = 0;
        while (true)
        {
            var chunk = events.ReadFrom(cursor, ReplayChunk).ToList();
            if (chunk.Count == 0) break;
            Apply(chunk);
            cursor = chunk[^1].Sequence;
            replayed += chunk.Count;
        }

        Interlocked.Exchange(ref _applied, cursor);
        if (replayed > 0) LogReplayed(logger, replayed, cursor);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Drained to the end even on shutdown: the pipeline completes the queue after its last commit.
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            var pending = new List<StoredEvent>();
            while (pending.Count < ReplayChunk && _queue.Reader.TryRead(out var stored))
            {
                foreach (var e in stored)
                {
                    if (e.Sequence > _applied) pending.Add(e);
                }
            }

            if (pending.Count == 0) continue;
            try
            {
                Apply(pending);
            }
            catch (Exception ex)
            {
                // The events are durable: start again from the stored profiles and the store's copy of the events.
                LogApplyFailed(logger, ex, pending.Count);
                await RecoverAsync().ConfigureAwait(false);
            }
        }
    }

    private void Apply(List<StoredEvent> batch)
    {
        var changed = new Dictionary<(string, string), Profile>();
        var deleted = new HashSet<(string AppId, string PersonId)>();
        foreach (var stored in batch)
        {
            var key = (stored.AppId, stored.PersonId);
            var profile = Load(stored.AppId, stored.PersonId);
            if (stored.MergedPersonId is { } mergedId && mergedId != stored.PersonId)
            {
                var loser = Load(stored.AppId, mergedId);
                ProfileProjection.Merge(profile, loser);
                _cache.Remove((stored.AppId, mergedId));
                changed.Remove((stored.AppId, mergedId));
                deleted.Add((stored.AppId, mergedId));
            }

            try
            {
                ProfileProjection.Apply(profile, stored);
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException)
            {
                // One event the fold cannot take must not stall every profile behind it; it stays in the event store.
                LogEventSkipped(logger, ex, stored.Sequence);
            }

            changed[key] = profile;
            deleted.Remove(key);
        }

        long cursor = batch[^1].Sequence;
        profiles.Save(changed.Values, deleted, cursor);
        Interlocked.Exchange(ref _applied, cursor);
        if (_cache.Count > MaxCachedProfiles) _cache.Clear();
        lock (_waitersLock)
        {
            var done = _progress;
            _progress = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            done.TrySetResult();
        }
    }

    private Profile Load(string appId, string personId)
    {
        if (_cache.TryGetValue((appId, personId), out var profile)) return profile;
        profile = profiles.Find(appId, personId) ?? ProfileProjection.NewProfile(appId, personId);
        _cache[(appId, personId)] = profile;
        return profile;
    }

    [LoggerMessage(2001, LogLevel.Information, "Replayed {Count} events into profiles (cursor now {Cursor})")]
    private static partial void LogReplayed(ILogger logger, long count, long cursor);

    [LoggerMessage(2003, LogLevel.Error, "Event {Sequence} could not be folded into its profile and was skipped")]
    private static partial void LogEventSkipped(ILogger logger, Exception exception, long sequence);

    [LoggerMessage(2002, LogLevel.Error, "Folding {Count} events into profiles failed; they will be replayed at the next start")]
    private static partial void LogApplyFailed(ILogger logger, Exception exception, int count);
}
