using System.Globalization;
using Lodestar.Core.Messages;

namespace Lodestar.Storage.Sqlite;

/// <summary>Impression counts per person and SDK message id, with the cursor of the last event folded in.</summary>
public sealed class SqliteMessageImpressionStore : IMessageImpressionStore
{
    private const string CursorName = "message_impressions_cursor";
    private readonly SqliteDatabase _database;

    public SqliteMessageImpressionStore(SqliteDatabase database)
    {
        _database = database;
        using var connection = database.Open();
        SqliteDatabase.Execute(connection, """
            CREATE TABLE IF NOT EXISTS message_impressions (
                app_id TEXT NOT NULL,
                person_id TEXT NOT NULL,
                message_id TEXT NOT NULL,
                views INTEGER NOT NULL,
                PRIMARY KEY (app_id, person_id, message_id)
            ) WITHOUT ROWID;
            """);
    }

    public long Cursor
    {
        get
        {
            using var connection = _database.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT value FROM settings WHERE name = $name";
            command.Parameters.AddWithValue("$name", CursorName);
            return command.ExecuteScalar() is string text ? long.Parse(text, CultureInfo.InvariantCulture) : 0;
        }
    }

    public void Apply(IReadOnlyList<MessageImpressionChange> changes, long cursor)
    {
        ArgumentNullException.ThrowIfNull(changes);
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction();
        using var add = connection.CreateCommand();
        add.Transaction = transaction;
        add.CommandText = """
            INSERT INTO message_impressions (app_id, person_id, message_id, views) VALUES ($app, $person, $message, $views)
            ON CONFLICT (app_id, person_id, message_id) DO UPDATE SET views = views + excluded.views
            """;
        var addApp = add.Parameters.Add("$app", Microsoft.Data.Sqlite.SqliteType.Text);
        var addPerson = add.Parameters.Add("$person", Microsoft.Data.Sqlite.SqliteType.Text);
        var addMessage = add.Parameters.Add("$message", Microsoft.Data.Sqlite.SqliteType.Text);
        var addViews = add.Parameters.Add("$views", Microsoft.Data.Sqlite.SqliteType.Integer);
        using var merge = connection.CreateCommand();
        merge.Transaction = transaction;
        // The merged-away person's counts join the surviving person's, then go.
        merge.CommandText = """
            INSERT INTO message_impressions (app_id, person_id, message_id, views)
                SELECT app_id, $to, message_id, views FROM message_impressions WHERE app_id = $app AND person_id = $from
            ON CONFLICT (app_id, person_id, message_id) DO UPDATE SET views = views + excluded.views;
            DELETE FROM message_impressions WHERE app_id = $app AND person_id = $from;
            """;
        var mergeApp = merge.Parameters.Add("$app", Microsoft.Data.Sqlite.SqliteType.Text);
        var mergeFrom = merge.Parameters.Add("$from", Microsoft.Data.Sqlite.SqliteType.Text);
        var mergeTo = merge.Parameters.Add("$to", Microsoft.Data.Sqlite.SqliteType.Text);

        // Consecutive impressions of the same person and message are added once.
        int i = 0;
        while (i < changes.Count)
        {
            var change = changes[i];
            if (change.MergedPersonId is { } from)
            {
                (mergeApp.Value, mergeFrom.Value, mergeTo.Value) = (change.AppId, from, change.PersonId);
                merge.ExecuteNonQuery();
            }

            if (change.SdkMessageId is not { } messageId)
            {
                i++;
                continue;
            }

            int run = 1;
            while (i + run < changes.Count && changes[i + run] is { MergedPersonId: null } next &&
                   next.AppId == change.AppId && next.PersonId == change.PersonId && next.SdkMessageId == messageId)
                run++;
            (addApp.Value, addPerson.Value, addMessage.Value, addViews.Value) = (change.AppId, change.PersonId, messageId, run);
            add.ExecuteNonQuery();
            i += run;
        }

        using var save = connection.CreateCommand();
        save.Transaction = transaction;
        save.CommandText = "INSERT INTO settings (name, value) VALUES ($name, $value) ON CONFLICT (name) DO UPDATE SET value = excluded.value";
        save.Parameters.AddWithValue("$name", CursorName);
        save.Parameters.AddWithValue("$value", cursor.ToString(CultureInfo.InvariantCulture));
        save.ExecuteNonQuery();
        transaction.Commit();
    }

    public void Erase(string appId, string personId)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM message_impressions WHERE app_id = $app AND person_id = $person";
        command.Parameters.AddWithValue("$app", appId);
        command.Parameters.AddWithValue("$person", personId);
        command.ExecuteNonQuery();
    }

    public IReadOnlyDictionary<string, long> ImpressionsOf(string appId, string personId, IReadOnlyCollection<string> sdkMessageIds)
    {
        ArgumentNullException.ThrowIfNull(sdkMessageIds);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        if (sdkMessageIds.Count == 0) return counts;
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT message_id, views FROM message_impressions WHERE app_id = $app AND person_id = $person";
        command.Parameters.AddWithValue("$app", appId);
        command.Parameters.AddWithValue("$person", personId);
        using var reader = command.ExecuteReader();
        var wanted = sdkMessageIds as IReadOnlySet<string> ?? sdkMessageIds.ToHashSet(StringComparer.Ordinal);
        while (reader.Read())
        {
            string id = reader.GetString(0);
            if (wanted.Contains(id)) counts[id] = reader.GetInt64(1);
        }

        return counts;
    }
}
