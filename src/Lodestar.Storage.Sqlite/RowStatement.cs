using System.Globalization;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Lodestar.Storage.Sqlite;

/// <summary>
/// One statement prepared once and run once per row with plain bound parameters (<c>?1</c>, <c>?2</c>, …), straight on
/// the connection's SQLite handle, inside the transaction the caller opened on that connection. For the engine's
/// commits of thousands of rows: no JSON text to build and parse per row, no binder or reader object per execution,
/// the strings bound from their UTF-16 characters (SQLite copies them).
/// </summary>
internal sealed class RowStatement : IDisposable
{
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;

    public RowStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        int rc = raw.sqlite3_prepare_v2(_db, sql, out _statement);
        SqliteException.ThrowExceptionForRC(rc, _db);
    }

    public RowStatement Bind(int index, string value)
    {
        SqliteException.ThrowExceptionForRC(raw.sqlite3_bind_text16(_statement, index, value.AsSpan()), _db);
        return this;
    }

    public RowStatement Bind(int index, long value)
    {
        SqliteException.ThrowExceptionForRC(raw.sqlite3_bind_int64(_statement, index, value), _db);
        return this;
    }

    /// <summary>A time as the store writes it everywhere (UTC, 7 fraction digits, <c>Z</c>), without a string per row.</summary>
    public RowStatement Bind(int index, DateTimeOffset time)
    {
        Span<char> text = stackalloc char[32];
        if (!time.UtcDateTime.TryFormat(text, out int written, TimeFormat, CultureInfo.InvariantCulture)) throw new FormatException("A time did not fit its format.");
        SqliteException.ThrowExceptionForRC(raw.sqlite3_bind_text16(_statement, index, text[..written]), _db);
        return this;
    }

    /// <summary>Runs the statement with the values bound since the last run, to its end (it returns no rows).</summary>
    public void Run()
    {
        int rc = raw.sqlite3_step(_statement);
        int reset = raw.sqlite3_reset(_statement);
        if (rc != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(rc == raw.SQLITE_ROW ? raw.SQLITE_MISUSE : reset, _db);
    }

    /// <summary>Runs a query with the values bound since the last run: the first column of its first row, if it has one.</summary>
    public long? RunForInt64()
    {
        int rc = raw.sqlite3_step(_statement);
        long? value = rc == raw.SQLITE_ROW ? raw.sqlite3_column_int64(_statement, 0) : null;
        int reset = raw.sqlite3_reset(_statement);
        if (rc is not (raw.SQLITE_ROW or raw.SQLITE_DONE)) SqliteException.ThrowExceptionForRC(reset, _db);
        return value;
    }

    /// <summary>The row id of the last row this connection inserted.</summary>
    public long LastInsertRowId => raw.sqlite3_last_insert_rowid(_db);

    public void Dispose() => _statement.Dispose();
}
