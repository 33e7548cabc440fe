using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Lodestar.Core.Messages;

namespace Lodestar.Storage.Sqlite;

/// <summary>In-app message definitions: one row per message, the definition as a JSON document.</summary>
public sealed class SqliteMessageStore : IMessageStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private readonly SqliteDatabase _database;

    public SqliteMessageStore(SqliteDatabase database)
    {
        _database = database;
        using var connection = database.Open();
        SqliteDatabase.Execute(connection, """
            CREATE TABLE IF NOT EXISTS message_ids (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                app_id TEXT NOT NULL
            );
            CREATE TABLE IF NOT EXISTS messages (
                app_id TEXT NOT NULL,
                id INTEGER NOT NULL,
                status TEXT NOT NULL,
                segment_id TEXT,
                definition TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (app_id, id)
            );
            CREATE INDEX IF NOT EXISTS messages_segment ON messages (app_id, segment_id);
            """);
    }

    public long NextId(string appId)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO message_ids (app_id) VALUES ($app) RETURNING id";
        command.Parameters.AddWithValue("$app", appId);
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    public void Save(InAppMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO messages (app_id, id, status, segment_id, definition, updated_at) VALUES ($app, $id, $status, $segment, $definition, $updated)
            ON CONFLICT (app_id, id) DO UPDATE SET status = excluded.status, segment_id = excluded.segment_id,
                definition = excluded.definition, updated_at = excluded.updated_at
            """;
        command.Parameters.AddWithValue("$app", message.AppId);
        command.Parameters.AddWithValue("$id", message.Id);
        command.Parameters.AddWithValue("$status", message.Status.ToString());
        command.Parameters.AddWithValue("$segment", (object?)message.SegmentId ?? DBNull.Value);
        command.Parameters.AddWithValue("$definition", JsonSerializer.Serialize(message, Json));
        command.Parameters.AddWithValue("$updated", message.UpdatedAt.ToString("O", CultureInfo.InvariantCulture));
        command.ExecuteNonQuery();
    }

    public InAppMessage? Find(string appId, long id) =>
        Query("SELECT definition FROM messages WHERE app_id = $app AND id = $id", ("$app", appId), ("$id", id)).FirstOrDefault();

    public IReadOnlyList<InAppMessage> List(string appId, MessageStatus? status = null) => status is { } s
        ? Query("SELECT definition FROM messages WHERE app_id = $app AND status = $status ORDER BY id", ("$app", appId), ("$status", s.ToString()))
        : Query("SELECT definition FROM messages WHERE app_id = $app ORDER BY id", ("$app", appId));

    public IReadOnlyList<InAppMessage> UsingSegment(string appId, string segmentId) =>
        Query("SELECT definition FROM messages WHERE app_id = $app AND segment_id = $segment ORDER BY id", ("$app", appId), ("$segment", segmentId));

    private List<InAppMessage> Query(string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        using var reader = command.ExecuteReader();
        var messages = new List<InAppMessage>();
        while (reader.Read()) messages.Add(JsonSerializer.Deserialize<InAppMessage>(reader.GetString(0), Json)!);
        return messages;
    }
}
