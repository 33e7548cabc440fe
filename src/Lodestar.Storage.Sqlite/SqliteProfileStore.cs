using System.Globalization;
using Lodestar.Core.Profiles;
using Microsoft.Data.Sqlite;

namespace Lodestar.Storage.Sqlite;

/// <summary>Profiles as JSON documents in SQLite, with the projection cursor in the same transaction.</summary>
public sealed class SqliteProfileStore(SqliteDatabase database) : IProfileStore
{
    private const string CursorName = "profiles";

    /// <summary>The projection's cursor: the sequence of the last event folded into the stored profiles (0 before any).</summary>
    public long Cursor
    {
        get
        {
            using var connection = database.Open();
            return ReadCounter(connection, null, CursorName);
        }
    }

    /// <summary>A row of the <c>cursors</c> table (0 before it is written).</summary>
    private static long ReadCounter(SqliteConnection connection, SqliteTransaction? transaction, string name)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT sequence FROM cursors WHERE name = $name";
        command.Parameters.AddWithValue("$name", name);
        return command.ExecuteScalar() is long value ? value : 0;
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
        using var transaction = connection.BeginTransaction();
        long version = NextVersion(connection, transaction);
        using (var command = DeleteCommand(connection, transaction, version))
        {
            command.Parameters["$app"].Value = appId;
            command.Parameters["$person"].Value = personId;
            command.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    /// <summary>
    /// The profiles' change counter: every save and every deletion takes the next number and stamps the rows it writes
    /// (<c>profiles.version</c>) and the persons it removes (<c>profile_deletions</c>), so a reader that copied the
    /// attributes at one number can copy only what changed since (<see cref="SqliteProfileAttributeReader"/>).
    /// </summary>
    internal static long ReadVersion(SqliteDatabase database)
    {
        using var connection = database.Open();
        return ReadCounter(connection, null, VersionName);
    }

    /// <summary>
    /// The profiles of an app saved after <paramref name="version"/> (<c>person_id</c> first, then
    /// <paramref name="columns"/>) and the persons removed after it; null when removals that old are forgotten.
    /// </summary>
    internal static ProfileDelta<T>? ChangesSince<T>(SqliteDatabase database, string appId, long version, string columns,
        Func<SqliteDataReader, T> read, Action<SqliteCommand>? parameters = null)
    {
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        long current = ReadCounter(connection, transaction, VersionName);
        // Pruning keeps at least DeletionsKept versions of removals behind the current one.
        if (version < current - DeletionsKept + 1 || version > current) return null;

        var changed = new List<T>();
        using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = $"SELECT person_id, {columns} FROM profiles WHERE app_id = $app AND version > $version";
            command.Parameters.AddWithValue("$app", appId);
            command.Parameters.AddWithValue("$version", version);
            parameters?.Invoke(command);
            using var reader = command.ExecuteReader();
            while (reader.Read()) changed.Add(read(reader));
        }

        var removed = new List<string>();
        using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "SELECT DISTINCT person_id FROM profile_deletions WHERE app_id = $app AND version > $version";
            command.Parameters.AddWithValue("$app", appId);
            command.Parameters.AddWithValue("$version", version);
            using var reader = command.ExecuteReader();
            while (reader.Read()) removed.Add(reader.GetString(0));
        }

        return new ProfileDelta<T>(changed, removed);
    }

    /// <summary>Removals are remembered for this many versions; a reader further behind copies everything again.</summary>
    internal const long DeletionsKept = 1000;

    internal const string VersionName = "profile_versions";

    private static long NextVersion(SqliteConnection connection, SqliteTransaction transaction)
    {
        using var next = connection.CreateCommand();
        next.Transaction = transaction;
        next.CommandText = """
            INSERT INTO cursors (name, sequence) VALUES ($name, 1) ON CONFLICT (name) DO UPDATE SET sequence = sequence + 1
            RETURNING sequence
            """;
        next.Parameters.AddWithValue("$name", VersionName);
        long version = (long)next.ExecuteScalar()!;
        if (version % 100 == 0)
        {
            using var prune = connection.CreateCommand();
            prune.Transaction = transaction;
            prune.CommandText = "DELETE FROM profile_deletions WHERE version <= $before";
            prune.Parameters.AddWithValue("$before", version - DeletionsKept);
            prune.ExecuteNonQuery();
        }

        return version;
    }

    private static SqliteCommand DeleteCommand(SqliteConnection connection, SqliteTransaction transaction, long version)
    {
        var delete = connection.CreateCommand();
        delete.Transaction = transaction;
        delete.CommandText = """
            DELETE FROM profiles WHERE app_id = $app AND person_id = $person;
            INSERT INTO profile_deletions (app_id, person_id, version) VALUES ($app, $person, $version);
            """;
        delete.Parameters.Add("$app", SqliteType.Text);
        delete.Parameters.Add("$person", SqliteType.Text);
        delete.Parameters.AddWithValue("$version", version);
        return delete;
    }

    public void Save(IReadOnlyCollection<ProfileDocument> changed, IReadOnlyCollection<(string AppId, string PersonId)> deleted, long? cursor)
    {
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        long version = changed.Count + deleted.Count > 0 ? NextVersion(connection, transaction) : 0;
        using (var upsert = connection.CreateCommand())
        {
            upsert.Transaction = transaction;
            upsert.CommandText = """
                INSERT INTO profiles (app_id, person_id, user_id, first_seen, last_active, data, version)
                VALUES ($app, $person, $user, $first, $last, $data, $version)
                ON CONFLICT (app_id, person_id) DO UPDATE SET user_id = excluded.user_id, first_seen = excluded.first_seen,
                    last_active = excluded.last_active, data = excluded.data, version = excluded.version
                """;
            upsert.Parameters.AddWithValue("$version", version);
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

        if (deleted.Count > 0)
        {
            using var delete = DeleteCommand(connection, transaction, version);
            foreach (var (appId, personId) in deleted)
            {
                delete.Parameters["$app"].Value = appId;
                delete.Parameters["$person"].Value = personId;
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
