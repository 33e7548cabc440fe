using System.Globalization;
using Lodestar.Core.Content;

namespace Lodestar.Storage.Sqlite;

/// <summary>The variables and templates apps uploaded with <c>setVars</c>, one row per app.</summary>
public sealed class SqliteVariableDefaultsStore : IVariableDefaultsStore
{
    private readonly SqliteDatabase _database;

    public SqliteVariableDefaultsStore(SqliteDatabase database)
    {
        _database = database;
        using var connection = database.Open();
        SqliteDatabase.Execute(connection, """
            CREATE TABLE IF NOT EXISTS variable_defaults (
                app_id TEXT PRIMARY KEY,
                vars TEXT,
                action_definitions TEXT,
                updated_at TEXT NOT NULL
            );
            """);
    }

    public VariableDefaults? Find(string appId)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT vars, action_definitions, updated_at FROM variable_defaults WHERE app_id = $app";
        command.Parameters.AddWithValue("$app", appId);
        using var reader = command.ExecuteReader();
        if (!reader.Read()) return null;
        return new VariableDefaults(appId, reader.IsDBNull(0) ? null : reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1),
            DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture));
    }

    public void Save(string appId, string? varsJson, string? actionDefinitionsJson, DateTimeOffset updatedAt)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO variable_defaults (app_id, vars, action_definitions, updated_at) VALUES ($app, $vars, $actions, $updated)
            ON CONFLICT (app_id) DO UPDATE SET vars = coalesce(excluded.vars, vars),
                action_definitions = coalesce(excluded.action_definitions, action_definitions), updated_at = excluded.updated_at
            """;
        command.Parameters.AddWithValue("$app", appId);
        command.Parameters.AddWithValue("$vars", (object?)varsJson ?? DBNull.Value);
        command.Parameters.AddWithValue("$actions", (object?)actionDefinitionsJson ?? DBNull.Value);
        command.Parameters.AddWithValue("$updated", updatedAt.ToString("O", CultureInfo.InvariantCulture));
        command.ExecuteNonQuery();
    }
}
