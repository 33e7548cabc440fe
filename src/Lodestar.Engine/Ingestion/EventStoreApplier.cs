using System.Diagnostics;
using System.Threading.Channels;
using Lodestar.Core.Events;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Lodestar.Engine.Ingestion;

/// <summary>
/// Moves logged events into the event store in large batches (DuckDB appends are several times cheaper in
/// bulk than per request). At start it replays the log records the store does not hold yet, before anything
/// reads the store. Readers that must see every acknowledged event wait with <see cref="WaitForAsync"/>.
/// </summary>
public sealed partial class EventStoreApplier : BackgroundService
{
    private readonly IEventStore _events;
    private readonly EventLog _log;
    private readonly IngestionOptions _options;
    private readonly ILogger<EventStoreApplier> _logger;
    private readonly Channel<LoggedRecord> _queue = Channel.CreateUnbounded<LoggedRecord>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    private readonly SequenceProgress _applied = new();
    private byte[] _readBuffer = [];
    private volatile bool _flushRequested;

    public EventStoreApplier(IEventStore events, EventLog log, IOptions<IngestionOptions> options, ILogger<EventStoreApplier> logger)
    {
        _events = events;
        _log = log;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>The sequence of the last event the event store holds.</summary>
    public long AppliedSequence => _applied.Value;

    /// <summary>
    /// Queues logged events for the store. When the store has fallen more than
    /// <see cref="IngestionOptions.MaxStoreBacklogEvents"/> behind (a long checkpoint, a slow disk), holds the caller
    /// (the ingestion writer) until it catches up, at most <see cref="IngestionOptions.StoreBacklogWait"/> a time, so
    /// the lag (and the log on disk) stays bounded: back-pressure instead of a backlog that grows without end. The
    /// events wait in the log, not in memory: the store reads them back (<see cref="EventLog.Read"/>).
    /// </summary>
    public void Enqueue(LoggedRecord record)
    {
        _queue.Writer.TryWrite(record);
        long caughtUp = record.LastSequence - _options.MaxStoreBacklogEvents;
        if (_applied.Value < caughtUp) _applied.WaitForAsync(caughtUp, _options.StoreBacklogWait, CancellationToken.None).GetAwaiter().GetResult();
    }

    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>Waits until the store holds every event up to <paramref name="sequence"/>, asking for an early batch.</summary>
    public Task WaitForAsync(long sequence, TimeSpan timeout, CancellationToken cancellationToken) =>
        _applied.WaitForAsync(sequence, timeout, cancellationToken, () => _flushRequested = true);

    /// <summary>The blocking form, for code already running on the ingestion writer.</summary>
    public void WaitFor(long sequence, TimeSpan timeout) => WaitForAsync(sequence, timeout, CancellationToken.None).GetAwaiter().GetResult();

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        long applied = _events.MaxSequence();
        long replayed = 0;
        var batch = new List<StoredEvent>();
        foreach (var record in _log.ReadAfter(applied))
        {
            batch.AddRange(record);
            if (batch.Count < _options.StoreBatchEvents) continue;
            _events.Append(batch);
            replayed += batch.Count;
            batch.Clear();
        }

        _events.Append(batch);
        replayed += batch.Count;
        _applied.Advance(_events.MaxSequence());
        _log.Truncate(_applied.Value);
        if (replayed > 0) LogReplayed(_logger, replayed, _applied.Value);
        return base.StartAsync(cancellationToken);
    }

    // A thread of its own: an append blocks it for 100 ms and more (seconds when DuckDB checkpoints within it).
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(ApplyLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void ApplyLoop()
    {
        var reader = _queue.Reader;
        var batch = new List<LoggedRecord>();
        // Runs until the pipeline completes the queue at shutdown, so nothing logged is left behind.
        while (reader.WaitToReadAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult())
        {
            var deadline = DateTime.UtcNow + _options.StoreBatchDelay;
            int events = 0;
            while (events < _options.StoreBatchEvents)
            {
                while (events < _options.StoreBatchEvents && reader.TryRead(out var record))
                {
                    batch.Add(record);
                    events += record.Count;
                }

                if (_flushRequested || events >= _options.StoreBatchEvents || DateTime.UtcNow >= deadline || reader.Completion.IsCompleted) break;
                Thread.Sleep(5);
            }

            _flushRequested = false;
            if (batch.Count == 0) continue;
            Apply(batch, events);
            batch.Clear();
        }
    }

    private void Apply(List<LoggedRecord> batch, int events)
    {
        while (true)
        {
            try
            {
                long start = Stopwatch.GetTimestamp();
                _events.AppendEncoded(ReadBack(batch));
                IngestionMetrics.StoreAppendSeconds.Record(Stopwatch.GetElapsedTime(start).TotalSeconds);
                break;
            }
            catch (Exception ex)
            {
                // The events are in the log: keep them and try again; a restart would replay them too.
                LogApplyFailed(_logger, ex, events);
                Thread.Sleep(TimeSpan.FromSeconds(1));
            }
        }

        _log.Truncate(batch[^1].LastSequence);
        _applied.Advance(batch[^1].LastSequence);
    }

    /// <summary>The batch's payloads, read back from the log into one buffer kept from batch to batch.</summary>
    private List<ReadOnlyMemory<byte>> ReadBack(List<LoggedRecord> batch)
    {
        int total = 0;
        foreach (var record in batch) total += record.Length;
        if (_readBuffer.Length < total) _readBuffer = new byte[Math.Max(total, _readBuffer.Length * 5 / 4)];
        var payloads = new List<ReadOnlyMemory<byte>>(batch.Count);
        int at = 0;
        foreach (var record in batch)
        {
            _log.Read(record, _readBuffer.AsSpan(at, record.Length));
            payloads.Add(_readBuffer.AsMemory(at, record.Length));
            at += record.Length;
        }

        return payloads;
    }

    [LoggerMessage(4001, LogLevel.Information, "Replayed {Count} logged events into the event store (now at {Sequence})")]
    private static partial void LogReplayed(ILogger logger, long count, long sequence);

    [LoggerMessage(4002, LogLevel.Error, "Appending {Count} logged events to the event store failed; retrying")]
    private static partial void LogApplyFailed(ILogger logger, Exception exception, int count);
}
