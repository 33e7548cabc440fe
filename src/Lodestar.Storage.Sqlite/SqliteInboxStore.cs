using System.Globalization;
using Lodestar.Core.Content;
using Lodestar.Core.Identity;
using Lodestar.Core.Profiles;
using Microsoft.Data.Sqlite;

namespace Lodestar.Storage.Sqlite;

/// <summary>App-inbox sends, each person's copies with read state, and what each device last downloaded.</summary>
/// <remarks>Erased with the person; moved to the surviving person when an anonymous person merges at login.</remarks>
public sealed class SqliteInboxStore : IInboxStore, IPersonDataEraser, IPersonDataMerger
{
    private readonly SqliteDatabase _database;

    public SqliteInboxStore(SqliteDatabase database)
    {
        _database = database;
        using var connection = database.Open();
        SqliteDatabase.Execute(connection, """
            CREATE TABLE IF NOT EXISTS inbox_sends (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                app_id TEXT NOT NULL,
                title TEXT NOT NULL,
                subtitle TEXT,
                image_url TEXT,
                data TEXT,
                open_action TEXT,
                created_at TEXT NOT NULL,
                expires_at TEXT
            );
            CREATE TABLE IF NOT EXISTS inbox_items (
                app_id TEXT NOT NULL,
                person_id TEXT NOT NULL,
                inbox_id TEXT NOT NULL,
                send_id INTEGER NOT NULL,
                delivered_at TEXT NOT NULL,
                is_read INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (app_id, person_id, inbox_id)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS inbox_versions (
                app_id TEXT NOT NULL,
                person_id TEXT NOT NULL,
                version INTEGER NOT NULL,
                PRIMARY KEY (app_id, person_id)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS inbox_device_syncs (
                app_id TEXT NOT NULL,
                person_id TEXT NOT NULL,
                device_id TEXT NOT NULL,
                version INTEGER NOT NULL,
                PRIMARY KEY (app_id, person_id, device_id)
            ) WITHOUT ROWID;
            """);
    }

    public InboxMessage Send(InboxMessage message, IReadOnlyCollection<string> personIds, DateTimeOffset deliveredAt)
    {
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction();
        long id;
        using (var command = Command(connection, transaction, """
            INSERT INTO inbox_sends (app_id, title, subtitle, image_url, data, open_action, created_at, expires_at)
            VALUES ($app, $title, $subtitle, $image, $data, $action, $created, $expires) RETURNING id
            """))
        {
            command.Parameters.AddWithValue("$app", message.AppId);
            command.Parameters.AddWithValue("$title", message.Title);
            command.Parameters.AddWithValue("$subtitle", (object?)message.Subtitle ?? DBNull.Value);
            command.Parameters.AddWithValue("$image", (object?)message.ImageUrl ?? DBNull.Value);
            command.Parameters.AddWithValue("$data", (object?)message.DataJson ?? DBNull.Value);
            command.Parameters.AddWithValue("$action", (object?)message.OpenActionJson ?? DBNull.Value);
            command.Parameters.AddWithValue("$created", Text(message.CreatedAt));
            command.Parameters.AddWithValue("$expires", message.ExpiresAt is { } expires ? Text(expires) : DBNull.Value);
            id = (long)command.ExecuteScalar()!;
        }

        string inboxId = id.ToString(CultureInfo.InvariantCulture) + "##1";
        using var insert = Command(connection, transaction, """
            INSERT INTO inbox_items (app_id, person_id, inbox_id, send_id, delivered_at) VALUES ($app, $person, $inbox, $send, $at)
            ON CONFLICT DO NOTHING
            """);
        var person = insert.Parameters.Add("$person", SqliteType.Text);
        insert.Parameters.AddWithValue("$app", message.AppId);
        insert.Parameters.AddWithValue("$inbox", inboxId);
        insert.Parameters.AddWithValue("$send", id);
        insert.Parameters.AddWithValue("$at", Text(deliveredAt));
        using var trim = TrimCommand(connection, transaction, message.AppId);
        var trimPerson = trim.Parameters["$person"];
        using var bump = BumpCommand(connection, transaction, message.AppId);
        foreach (string personId in personIds)
        {
            person.Value = personId;
            if (insert.ExecuteNonQuery() == 0) continue;
            trimPerson.Value = personId;
            trim.ExecuteNonQuery();
            bump.Parameters["$person"].Value = personId;
            bump.ExecuteNonQuery();
        }

        transaction.Commit();
        return message with { Id = id };
    }

    public IReadOnlyList<InboxItem> Messages(string appId, string personId, DateTimeOffset now)
    {
        using var connection = _database.Open();
        using var command = Command(connection, null, """
            SELECT i.inbox_id, i.delivered_at, i.is_read, s.id, s.title, s.subtitle, s.image_url, s.data, s.open_action, s.created_at, s.expires_at
            FROM inbox_items i JOIN inbox_sends s ON s.id = i.send_id
            WHERE i.app_id = $app AND i.person_id = $person AND (s.expires_at IS NULL OR s.expires_at > $now)
            ORDER BY i.delivered_at DESC, s.id DESC
            """);
        command.Parameters.AddWithValue("$app", appId);
        command.Parameters.AddWithValue("$person", personId);
        command.Parameters.AddWithValue("$now", Text(now));
        using var reader = command.ExecuteReader();
        var items = new List<InboxItem>();
        while (reader.Read())
        {
            var message = new InboxMessage(reader.GetInt64(3), appId, reader.GetString(4), Nullable(reader, 5), Nullable(reader, 6),
                Nullable(reader, 7), Nullable(reader, 8), Parse(reader.GetString(9)), Nullable(reader, 10) is { } expires ? Parse(expires) : null);
            items.Add(new InboxItem(reader.GetString(0), message, Parse(reader.GetString(1)), reader.GetInt64(2) != 0));
        }

        return items;
    }

    public bool MarkRead(string appId, string personId, string inboxId) =>
        Change(appId, personId, inboxId, "UPDATE inbox_items SET is_read = 1 WHERE app_id = $app AND person_id = $person AND inbox_id = $inbox AND is_read = 0");

    public bool Delete(string appId, string personId, string inboxId) =>
        Change(appId, personId, inboxId, "DELETE FROM inbox_items WHERE app_id = $app AND person_id = $person AND inbox_id = $inbox");

    public long Version(string appId, string personId)
    {
        using var connection = _database.Open();
        using var command = Command(connection, null, "SELECT version FROM inbox_versions WHERE app_id = $app AND person_id = $person");
        command.Parameters.AddWithValue("$app", appId);
        command.Parameters.AddWithValue("$person", personId);
        return command.ExecuteScalar() is long version ? version : 0;
    }

    public long? SyncedVersion(string appId, string personId, string deviceId)
    {
        using var connection = _database.Open();
        using var command = Command(connection, null,
            "SELECT version FROM inbox_device_syncs WHERE app_id = $app AND person_id = $person AND device_id = $device");
        command.Parameters.AddWithValue("$app", appId);
        command.Parameters.AddWithValue("$person", personId);
        command.Parameters.AddWithValue("$device", deviceId);
        return command.ExecuteScalar() is long version ? version : null;
    }

    public void MarkSynced(string appId, string personId, string deviceId, long version)
    {
        using var connection = _database.Open();
        using var command = Command(connection, null, """
            INSERT INTO inbox_device_syncs (app_id, person_id, device_id, version) VALUES ($app, $person, $device, $version)
            ON CONFLICT DO UPDATE SET version = excluded.version
            """);
        command.Parameters.AddWithValue("$app", appId);
        command.Parameters.AddWithValue("$person", personId);
        command.Parameters.AddWithValue("$device", deviceId);
        command.Parameters.AddWithValue("$version", version);
        command.ExecuteNonQuery();
    }

    public ValueTask EraseAsync(string appId, string personId, CancellationToken cancellationToken)
    {
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction();
        using var command = Command(connection, transaction, """
            DELETE FROM inbox_items WHERE app_id = $app AND person_id = $person;
            DELETE FROM inbox_versions WHERE app_id = $app AND person_id = $person;
            DELETE FROM inbox_device_syncs WHERE app_id = $app AND person_id = $person;
            """);
        command.Parameters.AddWithValue("$app", appId);
        command.Parameters.AddWithValue("$person", personId);
        command.ExecuteNonQuery();
        transaction.Commit();
        return ValueTask.CompletedTask;
    }

    public void Merge(string appId, string fromPersonId, string toPersonId)
    {
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction();
        // A copy both persons hold (one send delivered to both) stays once, read if either read it; copies the
        // merged-away person deleted are gone already and stay gone.
        using var move = Command(connection, transaction, """
            INSERT INTO inbox_items (app_id, person_id, inbox_id, send_id, delivered_at, is_read)
                SELECT app_id, $to, inbox_id, send_id, delivered_at, is_read FROM inbox_items WHERE app_id = $app AND person_id = $from
            ON CONFLICT (app_id, person_id, inbox_id) DO UPDATE SET is_read = max(is_read, excluded.is_read)
            """);
        move.Parameters.AddWithValue("$app", appId);
        move.Parameters.AddWithValue("$from", fromPersonId);
        move.Parameters.AddWithValue("$to", toPersonId);
        if (move.ExecuteNonQuery() > 0)
        {
            using var trim = TrimCommand(connection, transaction, appId);
            trim.Parameters["$person"].Value = toPersonId;
            trim.ExecuteNonQuery();
            // Every device of the surviving person downloads again at its next start.
            using var bump = BumpCommand(connection, transaction, appId);
            bump.Parameters["$person"].Value = toPersonId;
            bump.ExecuteNonQuery();
        }

        using var forget = Command(connection, transaction, """
            DELETE FROM inbox_items WHERE app_id = $app AND person_id = $from;
            DELETE FROM inbox_versions WHERE app_id = $app AND person_id = $from;
            DELETE FROM inbox_device_syncs WHERE app_id = $app AND person_id = $from;
            """);
        forget.Parameters.AddWithValue("$app", appId);
        forget.Parameters.AddWithValue("$from", fromPersonId);
        forget.ExecuteNonQuery();
        transaction.Commit();
    }

    private bool Change(string appId, string personId, string inboxId, string sql)
    {
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction();
        using var command = Command(connection, transaction, sql);
        command.Parameters.AddWithValue("$app", appId);
        command.Parameters.AddWithValue("$person", personId);
        command.Parameters.AddWithValue("$inbox", inboxId);
        if (command.ExecuteNonQuery() == 0) return false;
        using var bump = BumpCommand(connection, transaction, appId);
        bump.Parameters["$person"].Value = personId;
        bump.ExecuteNonQuery();
        transaction.Commit();
        return true;
    }

    /// <summary>Past the limit the oldest copies go (by delivery, then by send).</summary>
    private static SqliteCommand TrimCommand(SqliteConnection connection, SqliteTransaction transaction, string appId)
    {
        var command = Command(connection, transaction, $"""
            DELETE FROM inbox_items WHERE app_id = $app AND person_id = $person AND inbox_id IN (
                SELECT inbox_id FROM inbox_items WHERE app_id = $app AND person_id = $person
                ORDER BY delivered_at DESC, send_id DESC LIMIT -1 OFFSET {IInboxStore.MaxPerPerson})
            """);
        command.Parameters.AddWithValue("$app", appId);
        command.Parameters.Add("$person", SqliteType.Text);
        return command;
    }

    private static SqliteCommand BumpCommand(SqliteConnection connection, SqliteTransaction transaction, string appId)
    {
        var command = Command(connection, transaction, """
            INSERT INTO inbox_versions (app_id, person_id, version) VALUES ($app, $person, 1)
            ON CONFLICT DO UPDATE SET version = version + 1
            """);
        command.Parameters.AddWithValue("$app", appId);
        command.Parameters.Add("$person", SqliteType.Text);
        return command;
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    private static string? Nullable(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static string Text(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
