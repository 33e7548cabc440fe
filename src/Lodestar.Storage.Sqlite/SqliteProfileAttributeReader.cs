using System.Text.Json.Nodes;
using Lodestar.Core.Profiles;
using Microsoft.Data.Sqlite;

namespace Lodestar.Storage.Sqlite;

/// <summary>Reads attributes straight out of the profile documents with SQLite's JSON operators.</summary>
public sealed class SqliteProfileAttributeReader(SqliteDatabase database) : IProfileAttributeReader
{
    public long Version => SqliteProfileStore.ReadVersion(database);

    public IEnumerable<(string PersonId, JsonNode?[] Values)> Read(string appId, IReadOnlyList<string> names)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT person_id, {Columns(names)} FROM profiles WHERE app_id = $app";
        command.Parameters.AddWithValue("$app", appId);
        AddPaths(command, names);
        using var reader = command.ExecuteReader();
        while (reader.Read()) yield return (reader.GetString(0), Values(reader, names.Count, 1));
    }

    public ProfileDelta<(string PersonId, JsonNode?[] Values)>? ChangesSince(string appId, IReadOnlyList<string> names, long version) =>
        SqliteProfileStore.ChangesSince(database, appId, version, Columns(names), reader => (reader.GetString(0), Values(reader, names.Count, 1)),
            command => AddPaths(command, names));

    private static string Columns(IReadOnlyList<string> names) => string.Join(", ", names.Select((_, i) => $"data -> $path{i}"));

    private static void AddPaths(SqliteCommand command, IReadOnlyList<string> names)
    {
        for (int i = 0; i < names.Count; i++) command.Parameters.AddWithValue($"$path{i}", "$.attributes.\"" + names[i].Replace("\"", "\\\"", StringComparison.Ordinal) + "\"");
    }

    private static JsonNode?[] Values(SqliteDataReader reader, int count, int first)
    {
        var values = new JsonNode?[count];
        for (int i = 0; i < count; i++) values[i] = reader.IsDBNull(first + i) ? null : JsonNode.Parse(reader.GetString(first + i));
        return values;
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
