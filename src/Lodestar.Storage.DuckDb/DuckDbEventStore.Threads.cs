using DuckDB.NET.Data;

namespace Lodestar.Storage.DuckDb;

/// <summary>
/// How many threads DuckDB runs on. A statement's tasks run on DuckDB's worker threads as well as on the thread that
/// issued it, and an issuing thread whose task a worker took polls until the worker is done, without waiting
/// (<c>PendingQueryResult::ExecuteInternal</c> waits only on a blocked task). The writer's commits, automatic
/// checkpoints and appender flushes are such single tasks: with one worker, the appending thread spent them spinning,
/// 11 % of the server's CPU samples under Segment ingestion. So the instance runs on the issuing thread alone (one
/// thread) except while a query that benefits from parallelism holds a <see cref="UseQueryThreads"/> lease.
/// <para>
/// The lease raises DuckDB's memory limit too. Between queries the instance only appends, and its buffer pool keeps
/// every block a checkpoint wrote until the limit forces them out: under Segment ingestion that cache grew by 6 MB a
/// second, to 390 MB in 60 s, and nothing read it. So between leases the limit is the lower ingest limit (the
/// appended rows not yet checkpointed stay within it), and the last lease out evicts what a query loaded.
/// </para>
/// </summary>
public sealed partial class DuckDbEventStore
{
    private readonly Lock _threadsGate = new();
    private DuckDBConnection? _settings;
    private int _queryThreads;
    private string _queryMemoryLimit = "";
    private string? _ingestMemoryLimit;
    private int _leases;

    /// <summary>Threads DuckDB runs on while a query lease is held (its default: the machine's cores).</summary>
    public int QueryThreads => _queryThreads;

    /// <summary>
    /// Gives DuckDB <see cref="QueryThreads"/> threads until the lease is disposed; the last lease out sets it back to
    /// one. Analytics queries and exports take one; appends and point reads do not need one.
    /// </summary>
    public IDisposable UseQueryThreads()
    {
        if (_queryThreads <= 1 && _ingestMemoryLimit is null) return NoLease.Instance;
        lock (_threadsGate)
        {
            if (_leases++ == 0)
            {
                SetThreads(_queryThreads);
                SetMemoryLimit(_queryMemoryLimit);
            }
        }

        return new Lease(this);
    }

    private void InitThreads(int queryThreads, string queryMemoryLimit, string? ingestMemoryLimit)
    {
        _queryThreads = queryThreads > 0 ? queryThreads : Environment.ProcessorCount;
        _queryMemoryLimit = queryMemoryLimit;
        _ingestMemoryLimit = string.IsNullOrWhiteSpace(ingestMemoryLimit) ? null : ingestMemoryLimit;
        _settings = OpenConnection();
        SetThreads(1);
        SetMemoryLimit(_ingestMemoryLimit ?? _queryMemoryLimit);
    }

    private void Release()
    {
        lock (_threadsGate)
        {
            if (--_leases == 0)
            {
                SetThreads(1);
                if (_ingestMemoryLimit is not null) LowerMemoryLimit(_ingestMemoryLimit);
            }
        }
    }

    /// <summary>DuckDB's memory limit now, as its <c>memory_limit</c> setting reads back (<c>192.0 MiB</c>, say).</summary>
    public string MemoryLimit()
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT current_setting('memory_limit')";
        return (string)command.ExecuteScalar()!;
    }

    // Lowering the limit evicts blocks until the buffer pool fits it. When it cannot (the pinned blocks of queries
    // that still run through another connection, say), DuckDB refuses and keeps the higher limit; the next lease's
    // end tries again, so refusing is harmless.
    private void LowerMemoryLimit(string limit)
    {
        try
        {
            SetMemoryLimit(limit);
        }
        catch (DuckDBException)
        {
        }
    }

    private void SetMemoryLimit(string limit) => Set($"memory_limit = '{limit.Replace("'", "", StringComparison.Ordinal)}'");

    private void SetThreads(int threads) => Set($"threads = {threads}");

    // `threads` and `memory_limit` are global to the instance, whichever connection sets them; this one is only used
    // under the gate.
    private void Set(string setting)
    {
        if (_settings is { State: System.Data.ConnectionState.Open }) Execute(_settings, $"SET {setting}");
    }

    private void DisposeThreads()
    {
        lock (_threadsGate) _settings?.Dispose();
    }

    private sealed class Lease(DuckDbEventStore store) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) store.Release();
        }
    }

    private sealed class NoLease : IDisposable
    {
        public static readonly NoLease Instance = new();

        public void Dispose()
        {
        }
    }
}
