using System.Data.Common;
using DuckDB.NET.Data;

namespace Lodestar.Analytics.Execution;

/// <summary>One query's connection; cancelling it interrupts the statement running at that moment and refuses later ones.</summary>
public sealed class QuerySession(DuckDBConnection connection, CancellationToken cancellationToken)
{
    private readonly Lock _gate = new();
    private DuckDBCommand? _current;
    private bool _cancelled;

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
            _cancelled = true;
            _current?.Cancel();
        }
    }

    private DuckDBCommand Start(string sql)
    {
        lock (_gate)
        {
            if (_cancelled) throw new OperationCanceledException(cancellationToken);
            _current = connection.CreateCommand();
            _current.CommandText = sql;
            return _current;
        }
    }
}
