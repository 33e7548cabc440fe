using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Lodestar.Storage.Sqlite;

/// <summary>
/// One statement over many rows at once, the rows bound as one JSON text (<c>[[…], […]]</c>) that the statement reads
/// with <c>json_each($rows)</c> (<c>value->>0</c> is the first column of a row), up to <see cref="RowsPerStatement"/> rows
/// per execution. One parameter per statement: a parameter per column of each row made SQLite look every one up by name
/// in a list of hundreds (quadratic in the rows of a statement) and Microsoft.Data.Sqlite allocate a binder for each.
/// The command is prepared once and reused for every chunk.
/// </summary>
internal sealed class RowsStatement : IDisposable
{
    public const int RowsPerStatement = 1_024;

    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    private readonly SqliteCommand _command;
    private readonly SqliteParameter _rows;
    private readonly ArrayBufferWriter<byte> _buffer = new();

    /// <param name="sql">The statement; <c>$rows</c> in it is the JSON array of rows.</param>
    public RowsStatement(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        _command = connection.CreateCommand();
        _command.Transaction = transaction;
        _command.CommandText = sql;
        _rows = _command.Parameters.Add("$rows", SqliteType.Text);
    }

    /// <summary>Runs the statement over <paramref name="items"/>, in order; <paramref name="row"/> writes one row's columns (JSON values).</summary>
    public void Execute<T>(IReadOnlyList<T> items, Action<Utf8JsonWriter, T> row)
    {
        for (int offset = 0; offset < items.Count; offset += RowsPerStatement)
        {
            int rows = Math.Min(RowsPerStatement, items.Count - offset);
            _buffer.ResetWrittenCount();
            using (var writer = new Utf8JsonWriter(_buffer))
            {
                writer.WriteStartArray();
                for (int i = 0; i < rows; i++)
                {
                    writer.WriteStartArray();
                    row(writer, items[offset + i]);
                    writer.WriteEndArray();
                }

                writer.WriteEndArray();
            }

            _rows.Value = Encoding.UTF8.GetString(_buffer.WrittenSpan);
            _command.ExecuteNonQuery();
        }
    }

    /// <summary>A time as the store writes it everywhere (UTC, 7 fraction digits, <c>Z</c>), without a string per row.</summary>
    public static void WriteTime(Utf8JsonWriter writer, DateTimeOffset time)
    {
        Span<char> text = stackalloc char[32];
        if (!time.UtcDateTime.TryFormat(text, out int written, TimeFormat, CultureInfo.InvariantCulture)) throw new FormatException("A time did not fit its format.");
        writer.WriteStringValue(text[..written]);
    }

    public void Dispose() => _command.Dispose();
}
