using System.Globalization;
using Lodestar.Core.Events;
using Microsoft.Data.Sqlite;

namespace Lodestar.Storage.Sqlite;

/// <summary>Event definitions in the state store (its table is created on first use).</summary>
public sealed class SqliteEventDefinitionStore : IEventDefinitionStore
{
    private readonly SqliteDatabase _database;

    public SqliteEventDefinitionStore(SqliteDatabase database)
    {
        _database = database;
        using var connection = database.Open();
        SqliteDatabase.Execute(connection, """
            CREATE TABLE IF NOT EXISTS event_definitions (
                app_id TEXT NOT NULL,
                name TEXT NOT NULL,
                display_name TEXT,
                description TEXT,
                weight REAL NOT NULL,
                is_goal INTEGER NOT NULL,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (app_id, name)
            ) WITHOUT ROWID;
            """);
    }

    public IReadOnlyList<EventDefinition> List(string appId) => Query("WHERE app_id = $app ORDER BY name", appId, null);

    public EventDefinition? Find(string appId, string name) => Query("WHERE app_id = $app AND name = $name", appId, name).FirstOrDefault();

    public void Save(EventDefinition definition)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO event_definitions (app_id, name, display_name, description, weight, is_goal, updated_at)
            VALUES ($app, $name, $display, $description, $weight, $goal, $updated)
            ON CONFLICT (app_id, name) DO UPDATE SET display_name = excluded.display_name, description = excluded.description,
                weight = excluded.weight, is_goal = excluded.is_goal, updated_at = excluded.updated_at
            """;
        command.Parameters.AddWithValue("$app", definition.AppId);
        command.Parameters.AddWithValue("$name", definition.Name);
        command.Parameters.AddWithValue("$display", (object?)definition.DisplayName ?? DBNull.Value);
        command.Parameters.AddWithValue("$description", (object?)definition.Description ?? DBNull.Value);
        command.Parameters.AddWithValue("$weight", definition.Weight);
        command.Parameters.AddWithValue("$goal", definition.IsGoal ? 1 : 0);
        command.Parameters.AddWithValue("$updated", definition.UpdatedAt.ToString("O", CultureInfo.InvariantCulture));
        command.ExecuteNonQuery();
    }

    private List<EventDefinition> Query(string where, string appId, string? name)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT app_id, name, display_name, description, weight, is_goal, updated_at FROM event_definitions {where}";
        command.Parameters.AddWithValue("$app", appId);
        if (name is not null) command.Parameters.AddWithValue("$name", name);
        using var reader = command.ExecuteReader();
        var list = new List<EventDefinition>();
        while (reader.Read())
        {
            list.Add(new EventDefinition
            {
                AppId = reader.GetString(0),
                Name = reader.GetString(1),
                DisplayName = reader.IsDBNull(2) ? null : reader.GetString(2),
                Description = reader.IsDBNull(3) ? null : reader.GetString(3),
                Weight = reader.GetDouble(4),
                IsGoal = reader.GetInt64(5) != 0,
                UpdatedAt = DateTimeOffset.Parse(reader.GetString(6), CultureInfo.InvariantCulture),
            });
        }

        return list;
    }
}
