using System.Text.Json.Nodes;
using Lodestar.Core.Profiles;

namespace Lodestar.Storage.Sqlite;

/// <summary>Reads attributes straight out of the profile documents with SQLite's JSON operators.</summary>
public sealed class SqliteProfileAttributeReader(SqliteDatabase database) : IProfileAttributeReader
{
    public long Version => SqliteProfileStore.ReadCursor(database);

    public IEnumerable<(string PersonId, JsonNode?[] Values)> Read(string appId, IReadOnlyList<string> names)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        var columns = names.Select((_, i) => $"data -> $path{i}");
        command.CommandText = $"SELECT person_id, {string.Join(", ", columns)} FROM profiles WHERE app_id = $app";
        command.Parameters.AddWithValue("$app", appId);
        for (int i = 0; i < names.Count; i++) command.Parameters.AddWithValue($"$path{i}", "$.attributes.\"" + names[i].Replace("\"", "\\\"", StringComparison.Ordinal) + "\"");
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var values = new JsonNode?[names.Count];
            for (int i = 0; i < names.Count; i++) values[i] = reader.IsDBNull(i + 1) ? null : JsonNode.Parse(reader.GetString(i + 1));
            yield return (reader.GetString(0), values);
        }
    }

    public IEnumerable<JsonObject> Sample(string appId, int limit)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT data -> '$.attributes' FROM profiles WHERE app_id = $app LIMIT $limit";
        command.Parameters.AddWithValue("$app", appId);
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            if (!reader.IsDBNull(0) && JsonNode.Parse(reader.GetString(0)) is JsonObject attributes) yield return attributes;
        }
    }
}
