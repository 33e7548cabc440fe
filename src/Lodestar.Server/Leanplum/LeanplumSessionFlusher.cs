namespace Lodestar.Server.Leanplum;

/// <summary>Writes changed SDK session states once a second, and at shutdown.</summary>
public sealed partial class LeanplumSessionFlusher(LeanplumSessions sessions, TimeProvider time, ILogger<LeanplumSessionFlusher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false)) TryFlush();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        TryFlush();
    }

    private void TryFlush()
    {
        try
        {
            sessions.Flush();
        }
        catch (Exception ex)
        {
            LogFlushFailed(logger, ex);
        }
    }

    [LoggerMessage(5101, LogLevel.Error, "Saving SDK session states failed; they stay queued for the next flush")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception);
}
