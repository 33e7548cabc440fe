using System.Data.Common;
using DuckDB.NET.Data;

namespace Lodestar.Analytics.Execution;

/// <summary>
/// One query's connection; cancelling it interrupts the statement running at that moment and refuses later ones. Dispose
/// it before its connection.
/// </summary>
/// <remarks>
/// DuckDB clears a connection's interrupt flag whenever a statement starts to prepare or to execute, so an interrupt that
/// lands between <see cref="Start"/> and that moment is lost, and the statement runs to its end (seconds, for a funnel
/// over millions of events). Once cancelled, the session therefore interrupts the connection again every
/// <see cref="InterruptInterval"/> until it is disposed, on the <see cref="WatchdogTimer"/>'s thread.
/// </remarks>
public sealed class QuerySession(DuckDBConnection connection, CancellationToken cancellationToken) : IDisposable
{
    public static readonly TimeSpan InterruptInterval = TimeSpan.FromMilliseconds(50);

    private readonly Lock _gate = new();
    private DuckDBCommand? _interrupter;
    private IDisposable? _repeat;
    private bool _cancelled;
    private bool _disposed;

    public DuckDBConnection Connection => connection;

    public DbDataReader Execute(string sql)
    {
        var command = Start(sql);
        return command.ExecuteReader();
    }

    public object? Scalar(string sql)
    {
        using var command = Start(sql);
        return command.ExecuteScalar();
    }

    public void NonQuery(string sql)
    {
        using var command = Start(sql);
        command.ExecuteNonQuery();
    }

    public void Cancel()
    {
        lock (_gate)
        {
            if (_cancelled || _disposed) return;
            _cancelled = true;
            _interrupter = connection.CreateCommand();
            _interrupter.Cancel();
            _repeat = WatchdogTimer.Start(InterruptInterval, Interrupt, InterruptInterval);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _repeat?.Dispose();
            _interrupter?.Dispose();
        }
    }

    private void Interrupt()
    {
        lock (_gate)
        {
            if (!_disposed) _interrupter?.Cancel();
        }
    }

    private DuckDBCommand Start(string sql)
    {
        lock (_gate)
        {
            if (_cancelled) throw new OperationCanceledException(cancellationToken);
            var command = connection.CreateCommand();
            command.CommandText = sql;
            return command;
        }
    }
}
