using System.Threading.Channels;
using Lodestar.Core.Events;
using Lodestar.Core.Profiles;
using Lodestar.Engine.Ingestion;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Lodestar.Engine.Profiles;

/// <summary>
/// Keeps profiles up to date by folding stored events into them, behind the ingestion writer so the
/// client's answer never waits for it. Folded profiles live in memory and are served from there; every
/// <see cref="IngestionOptions.ProfileCheckpointInterval"/> the changed ones are written to the state store
/// together with the cursor (the last folded event). At start it replays every event stored after the
/// cursor, so a crash loses no profile change, and a busy person costs one write per checkpoint, not one per event.
/// </summary>
public sealed partial class ProfileProjector : BackgroundService
{
    private const int ReplayChunk = 50_000;
    private const int CheckpointSlice = 1_000;

    private readonly IEventStore _events;
    private readonly IProfileStore _profiles;
    private readonly ILogger<ProfileProjector> _logger;
    private readonly TimeProvider _time;
    private readonly IngestionOptions _options;

    private readonly Channel<IReadOnlyList<StoredEvent>> _queue = Channel.CreateBounded<IReadOnlyList<StoredEvent>>(
        // Deep enough that a checkpoint (which holds the fold for up to a second) never stalls the acknowledging writer.
        new BoundedChannelOptions(16_384) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

    // Everything below is guarded by _gate: the fold, the checkpoint and API reads share it.
    private readonly Lock _gate = new();
    private readonly Lock _checkpointGate = new();
    private readonly Dictionary<(string App, string Person), Profile> _cache = [];
    private readonly HashSet<(string App, string Person)> _dirty = [];
    private readonly HashSet<(string App, string Person)> _mergedAway = [];
    private readonly SequenceProgress _applied = new();
    private long _checkpointed;

    public ProfileProjector(IEventStore events, IProfileStore profiles, IOptions<IngestionOptions> options, TimeProvider time, ILogger<ProfileProjector> logger)
    {
        _events = events;
        _profiles = profiles;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>The sequence of the last event folded into the profiles served.</summary>
    public long AppliedSequence => _applied.Value;

    /// <summary>Queues events the pipeline made durable. Blocks the writer when the projector falls far behind.</summary>
    public void Enqueue(IReadOnlyList<StoredEvent> stored)
    {
        if (!_queue.Writer.TryWrite(stored)) _queue.Writer.WriteAsync(stored).AsTask().GetAwaiter().GetResult();
    }

    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>A copy of the person's current profile (every folded event included), or null.</summary>
    public Profile? Find(string appId, string personId)
    {
        lock (_gate)
        {
            if (_cache.TryGetValue((appId, personId), out var cached)) return ProfileJson.Deserialize(ProfileJson.Serialize(cached));
            if (_mergedAway.Contains((appId, personId))) return null;
        }

        return _profiles.Find(appId, personId);
    }

    /// <summary>
    /// Reads the person's current profile without copying it (<paramref name="read"/> runs under the fold's lock and
    /// must copy whatever it keeps); null when there is none.
    /// </summary>
    public T? Read<T>(string appId, string personId, Func<Profile, T> read)
        where T : class
    {
        lock (_gate)
        {
            if (_cache.TryGetValue((appId, personId), out var cached)) return read(cached);
            if (_mergedAway.Contains((appId, personId))) return null;
        }

        return _profiles.Find(appId, personId) is { } stored ? read(stored) : null;
    }

    /// <summary>Erases a profile now, in memory and in the store (the caller has erased its events).</summary>
    public void Erase(string appId, string personId)
    {
        lock (_gate)
        {
            _cache.Remove((appId, personId));
            _dirty.Remove((appId, personId));
            _profiles.Delete(appId, personId);
        }
    }

    /// <summary>Waits until the profiles include every event up to <paramref name="sequence"/> (read-your-writes for the API).</summary>
    public Task WaitForAsync(long sequence, TimeSpan timeout, CancellationToken cancellationToken) =>
        _applied.WaitForAsync(sequence, timeout, cancellationToken);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        CatchUp();
        Checkpoint();
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        Checkpoint();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var checkpoints = new PeriodicTimer(_options.ProfileCheckpointInterval, _time);
        var checkpointLoop = CheckpointLoopAsync(checkpoints);
        // Drained to the end even on shutdown: the pipeline completes the queue after its last commit.
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            var pending = new List<StoredEvent>();
            while (pending.Count < ReplayChunk && _queue.Reader.TryRead(out var stored))
            {
                foreach (var e in stored)
                {
                    if (e.Sequence > AppliedSequence) pending.Add(e);
                }
            }

            if (pending.Count == 0) continue;
            Fold(pending);
        }

        checkpoints.Dispose();
        await checkpointLoop.ConfigureAwait(false);
    }

    private async Task CheckpointLoopAsync(PeriodicTimer timer)
    {
        while (await timer.WaitForNextTickAsync(CancellationToken.None).ConfigureAwait(false))
        {
            try
            {
                Checkpoint();
            }
            catch (Exception ex)
            {
                // The profiles in memory are right; they stay dirty and the next tick tries again.
                LogCheckpointFailed(_logger, ex);
            }
        }
    }

    /// <summary>Writes every changed profile now, for readers of the store itself (analytics joins on profiles).</summary>
    public void CheckpointNow() => Checkpoint();

    /// <summary>Writes every changed profile and the cursor in one transaction.</summary>
    private void Checkpoint()
    {
        // One checkpoint at a time: two overlapping ones could save an older snapshot after a newer one.
        lock (_checkpointGate) CheckpointLocked();
    }

    private void CheckpointLocked()
    {
        List<(string App, string Person)> keys;
        List<(string App, string Person)> deleted;
        long cursor;
        lock (_gate)
        {
            if (AppliedSequence == _checkpointed && _dirty.Count == 0 && _mergedAway.Count == 0) return;
            keys = [.. _dirty];
            deleted = [.. _mergedAway];
            cursor = AppliedSequence;
            _dirty.Clear();
            _mergedAway.Clear();
        }

        // In short slices, so neither the fold (our lock) nor the ingestion writer (SQLite's write lock) waits
        // long. A profile saved here may already hold events past the cursor; its LastSequence makes the
        // replay after a crash skip them.
        int done = 0;
        try
        {
            for (; done < keys.Count; done += CheckpointSlice)
            {
                var slice = new List<ProfileDocument>(CheckpointSlice);
                lock (_gate)
                {
                    foreach (var key in keys.Skip(done).Take(CheckpointSlice))
                    {
                        if (_cache.TryGetValue(key, out var profile)) slice.Add(ProfileJson.Document(profile));
                    }
                }

                _profiles.Save(slice, [], null);
            }

            _profiles.Save([], deleted, cursor);
        }
        catch
        {
            lock (_gate)
            {
                foreach (var key in keys.Skip(done))
                {
                    if (_cache.ContainsKey(key)) _dirty.Add(key);
                }

                foreach (var key in deleted)
                {
                    if (!_cache.ContainsKey(key)) _mergedAway.Add(key);
                }
            }

            throw;
        }

        _checkpointed = cursor;
        lock (_gate)
        {
            if (_cache.Count <= _options.MaxCachedProfiles) return;
            // Only profiles the store already holds may leave memory.
            foreach (var key in _cache.Keys.Where(k => !_dirty.Contains(k)).ToList()) _cache.Remove(key);
        }
    }

    /// <summary>Folds every stored event after the stored cursor.</summary>
    private void CatchUp()
    {
        long cursor = _profiles.Cursor;
        _checkpointed = cursor;
        _applied.Advance(cursor);
        long replayed = 0;
        while (true)
        {
            var chunk = _events.ReadFrom(cursor, ReplayChunk).ToList();
            if (chunk.Count == 0) break;
            Fold(chunk);
            cursor = chunk[^1].Sequence;
            replayed += chunk.Count;
        }

        if (replayed > 0) LogReplayed(_logger, replayed, cursor);
    }

    private void Fold(List<StoredEvent> batch)
    {
        lock (_gate)
        {
            foreach (var stored in batch)
            {
                var key = (stored.AppId, stored.PersonId);
                var profile = Load(stored.AppId, stored.PersonId, stored.NewPerson);
                // Already folded into the stored profile (saved by a checkpoint after its cursor was taken).
                if (stored.Sequence <= profile.LastSequence) continue;
                if (stored.MergedPersonId is { } mergedId && mergedId != stored.PersonId)
                {
                    var loser = Load(stored.AppId, mergedId, isNew: false);
                    ProfileProjection.Merge(profile, loser);
                    _cache.Remove((stored.AppId, mergedId));
                    _dirty.Remove((stored.AppId, mergedId));
                    _mergedAway.Add((stored.AppId, mergedId));
                }

                try
                {
                    ProfileProjection.Apply(profile, stored);
                }
                catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException)
                {
                    // One event the fold cannot take must not stall every profile behind it; it stays in the event store.
                    LogEventSkipped(_logger, ex, stored.Sequence);
                }

                profile.LastSequence = stored.Sequence;
                _dirty.Add(key);
                // Almost always empty: skip hashing the key a third time.
                if (_mergedAway.Count > 0) _mergedAway.Remove(key);
            }

            _applied.Advance(batch[^1].Sequence);
        }
    }

    /// <summary>The person's profile from memory, else from the store (not asked when ingestion just created the person), else a new one.</summary>
    private Profile Load(string appId, string personId, bool isNew)
    {
        if (_cache.TryGetValue((appId, personId), out var profile)) return profile;
        profile = (isNew || _mergedAway.Contains((appId, personId)) ? null : _profiles.Find(appId, personId)) ?? ProfileProjection.NewProfile(appId, personId);
        _cache[(appId, personId)] = profile;
        return profile;
    }

    [LoggerMessage(2001, LogLevel.Information, "Replayed {Count} events into profiles (cursor now {Cursor})")]
    private static partial void LogReplayed(ILogger logger, long count, long cursor);

    [LoggerMessage(2002, LogLevel.Error, "Checkpointing profiles failed; the next checkpoint tries again")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception exception);

    [LoggerMessage(2003, LogLevel.Error, "Event {Sequence} could not be folded into its profile and was skipped")]
    private static partial void LogEventSkipped(ILogger logger, Exception exception, long sequence);
}
