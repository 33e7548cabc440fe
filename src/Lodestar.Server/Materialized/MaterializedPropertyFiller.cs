using System.Collections.Concurrent;
using Lodestar.Analytics;
using Lodestar.Storage.DuckDb;
using Microsoft.Extensions.Options;

namespace Lodestar.Server.Materialized;

/// <summary>
/// Fills materialized property columns in the background: slice after slice while any is behind the newest event,
/// then every <see cref="AnalyticsOptions.MaterializeInterval"/> (or at once when woken by a new materialization),
/// so the events that arrive later reach the column too. Each slice commits its rows and its watermark together, so
/// a restart resumes where the last committed slice ended.
/// </summary>
public sealed partial class MaterializedPropertyFiller(
    DuckDbEventStore store, IOptions<AnalyticsOptions> options, TimeProvider time, ILogger<MaterializedPropertyFiller> logger) : BackgroundService
{
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly ConcurrentDictionary<(string App, string Property), long> _started = new();

    /// <summary>Starts a fill now rather than at the next interval.</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already woken.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Run(() => FillAll(stoppingToken), stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is DuckDB.NET.Data.DuckDBException or InvalidOperationException)
            {
                // A slice that failed (e.g. beside a conflicting write) committed nothing; the next round redoes it.
                LogFillFailed(logger, ex);
            }

            try
            {
                // A poll interval on the wall clock (not the TimeProvider): a test's fake clock must not stop the fill.
                await _wake.WaitAsync(options.Value.MaterializeInterval, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void FillAll(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested && store.FillMaterialized(options.Value.MaterializeSlice) is var (property, filledTo))
        {
            var key = (property.AppId, property.Property);
            long now = time.GetTimestamp();
            if (property.FilledTo == 0) _started.TryAdd(key, now);
            if (store.MaxSequence() <= filledTo && _started.TryRemove(key, out long started))
                LogFilled(logger, property.Property, property.AppId, filledTo, time.GetElapsedTime(started, now).TotalSeconds);
        }
    }

    [LoggerMessage(4020, LogLevel.Information, "Materialized event property {Property} of app {AppId} up to event {Sequence} in {Seconds:F1} s")]
    private static partial void LogFilled(ILogger logger, string property, string appId, long sequence, double seconds);

    [LoggerMessage(4021, LogLevel.Warning, "Filling a materialized property column failed; retrying")]
    private static partial void LogFillFailed(ILogger logger, Exception exception);

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }
}
