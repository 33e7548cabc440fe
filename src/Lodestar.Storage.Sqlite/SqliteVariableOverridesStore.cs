using System.Globalization;
using Lodestar.Core.Content;

namespace Lodestar.Storage.Sqlite;

/// <summary>The server-side variable values of each app, one row per app.</summary>
public sealed class SqliteVariableOverridesStore : IVariableOverridesStore
{
    private readonly SqliteDatabase _database;

    public SqliteVariableOverridesStore(SqliteDatabase database)
    {
        _database = database;
        using var connection = database.Open();
        SqliteDatabase.Execute(connection, """
            CREATE TABLE IF NOT EXISTS variable_overrides (
                app_id TEXT PRIMARY KEY,
                vars TEXT NOT NULL,
                updated_at TEXT NOT NULL
            );
            """);
    }

    public string? Find(string appId)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT vars FROM variable_overrides WHERE app_id = $app";
        command.Parameters.AddWithValue("$app", appId);
        return command.ExecuteScalar() as string;
    }

    public void Save(string appId, string valuesJson, DateTimeOffset updatedAt)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO variable_overrides (app_id, vars, updated_at) VALUES ($app, $vars, $updated)
            ON CONFLICT (app_id) DO UPDATE SET vars = excluded.vars, updated_at = excluded.updated_at
            """;
        command.Parameters.AddWithValue("$app", appId);
        command.Parameters.AddWithValue("$vars", valuesJson);
        command.Parameters.AddWithValue("$updated", updatedAt.ToString("O", CultureInfo.InvariantCulture));
        command.ExecuteNonQuery();
    }
}
