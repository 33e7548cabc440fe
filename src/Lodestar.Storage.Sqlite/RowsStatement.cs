using System.Text;
using Microsoft.Data.Sqlite;

namespace Lodestar.Storage.Sqlite;

/// <summary>
/// One statement over many rows at once (<c>VALUES (…), (…)</c>), up to <see cref="RowsPerStatement"/> rows per
/// execution: a commit of thousands of rows runs a few dozen statements instead of one per row. The full-size command
/// is prepared once and reused; the last, shorter chunk gets its own.
/// </summary>
internal sealed class RowsStatement(SqliteConnection connection, SqliteTransaction transaction, int columns, Func<string, string> sql) : IDisposable
{
    public const int RowsPerStatement = 64;

    private readonly Dictionary<int, SqliteCommand> _commands = [];

    /// <summary>Runs the statement over <paramref name="count"/> rows of <paramref name="items"/> from <paramref name="start"/>, in order.</summary>
    public void Execute<T>(IReadOnlyList<T> items, int start, int count, Func<T, int, object[]> values)
    {
        for (int offset = 0; offset < count; offset += RowsPerStatement)
        {
            int rows = Math.Min(RowsPerStatement, count - offset);
            var command = CommandFor(rows);
            for (int row = 0; row < rows; row++)
            {
                var rowValues = values(items[start + offset + row], row);
                for (int column = 0; column < columns; column++) command.Parameters[(row * columns) + column].Value = rowValues[column];
            }

            command.ExecuteNonQuery();
        }
    }

    public void Dispose()
    {
        foreach (var command in _commands.Values) command.Dispose();
    }

    private SqliteCommand CommandFor(int rows)
    {
        if (_commands.TryGetValue(rows, out var command)) return command;
        var text = new StringBuilder();
        command = connection.CreateCommand();
        command.Transaction = transaction;
        for (int row = 0; row < rows; row++)
        {
            text.Append(row == 0 ? "(" : ", (");
            for (int column = 0; column < columns; column++)
            {
                string name = $"$v{row}_{column}";
                text.Append(column == 0 ? name : ", " + name);
                command.Parameters.Add(new SqliteParameter { ParameterName = name });
            }

            text.Append(')');
        }

        command.CommandText = sql(text.ToString());
        _commands[rows] = command;
        return command;
    }
}
