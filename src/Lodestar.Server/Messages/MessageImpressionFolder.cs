namespace Lodestar.Server.Messages;

/// <summary>
/// Keeps the impression counts close to the event store in the background (at start-up, then every few seconds),
/// so the fold a start does before reading a person's counts stays small.
/// </summary>
public sealed partial class MessageImpressionFolder(MessageImpressions impressions, TimeProvider time, ILogger<MessageImpressionFolder> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                await impressions.CatchUpAsync(Timeout.InfiniteTimeSpan, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is DuckDB.NET.Data.DuckDBException or Microsoft.Data.Sqlite.SqliteException or InvalidOperationException)
            {
                // The next start's look-up folds again; a store error here must not stop the host.
                LogFoldFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(5102, LogLevel.Warning, "Folding message impressions into the counts failed; retrying in the background and at the next look-up")]
    private static partial void LogFoldFailed(ILogger logger, Exception exception);
}
