using System.Globalization;
using Lodestar.Core.Profiles;
using Microsoft.Data.Sqlite;

namespace Lodestar.Storage.Sqlite;

/// <summary>Profiles as JSON documents in SQLite, with the projection cursor in the same transaction.</summary>
public sealed class SqliteProfileStore(SqliteDatabase database) : IProfileStore
{
    private const string CursorName = "profiles";

    public long Cursor => ReadCursor(database);

    /// <summary>The projection's cursor: the sequence of the last event folded into the stored profiles (0 before any).</summary>
    internal static long ReadCursor(SqliteDatabase database)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT sequence FROM cursors WHERE name = $name";
        command.Parameters.AddWithValue("$name", CursorName);
        return command.ExecuteScalar() is long sequence ? sequence : 0;
    }

    public Profile? Find(string appId, string personId)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT data FROM profiles WHERE app_id = $app AND person_id = $person";
        command.Parameters.AddWithValue("$app", appId);
        command.Parameters.AddWithValue("$person", personId);
        return command.ExecuteScalar() is string data ? ProfileJson.Deserialize(data) : null;
    }

    public void Delete(string appId, string personId)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM profiles WHERE app_id = $app AND person_id = $person";
        command.Parameters.AddWithValue("$app", appId);
        command.Parameters.AddWithValue("$person", personId);
        command.ExecuteNonQuery();
    }

    public void Save(IReadOnlyCollection<ProfileDocument> changed, IReadOnlyCollection<(string AppId, string PersonId)> deleted, long? cursor)
    {
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        using (var upsert = connection.CreateCommand())
        {
            upsert.Transaction = transaction;
            upsert.CommandText = """
                INSERT INTO profiles (app_id, person_id, user_id, first_seen, last_active, data)
                VALUES ($app, $person, $user, $first, $last, $data)
                ON CONFLICT (app_id, person_id) DO UPDATE SET user_id = excluded.user_id, first_seen = excluded.first_seen,
                    last_active = excluded.last_active, data = excluded.data
                """;
            var app = upsert.Parameters.Add("$app", SqliteType.Text);
            var person = upsert.Parameters.Add("$person", SqliteType.Text);
            var user = upsert.Parameters.Add("$user", SqliteType.Text);
            var first = upsert.Parameters.Add("$first", SqliteType.Text);
            var last = upsert.Parameters.Add("$last", SqliteType.Text);
            var data = upsert.Parameters.Add("$data", SqliteType.Text);
            upsert.Prepare();
            foreach (var profile in changed)
            {
                app.Value = profile.AppId;
                person.Value = profile.PersonId;
                user.Value = (object?)profile.UserId ?? DBNull.Value;
                first.Value = profile.FirstSeen.ToString("O", CultureInfo.InvariantCulture);
                last.Value = profile.LastActive.ToString("O", CultureInfo.InvariantCulture);
                data.Value = profile.Json;
                upsert.ExecuteNonQuery();
            }
        }

        using (var delete = connection.CreateCommand())
        {
            delete.Transaction = transaction;
            delete.CommandText = "DELETE FROM profiles WHERE app_id = $app AND person_id = $person";
            foreach (var (appId, personId) in deleted)
            {
                delete.Parameters.Clear();
                delete.Parameters.AddWithValue("$app", appId);
                delete.Parameters.AddWithValue("$person", personId);
                delete.ExecuteNonQuery();
            }
        }

        if (cursor is not null)
        {
            using var move = connection.CreateCommand();
            move.Transaction = transaction;
            move.CommandText = "INSERT INTO cursors (name, sequence) VALUES ($name, $sequence) ON CONFLICT (name) DO UPDATE SET sequence = excluded.sequence";
            move.Parameters.AddWithValue("$name", CursorName);
            move.Parameters.AddWithValue("$sequence", cursor.Value);
            move.ExecuteNonQuery();
        }

        transaction.Commit();
    }
}
