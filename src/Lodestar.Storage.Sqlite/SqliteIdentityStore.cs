using Lodestar.Core.Identity;

namespace Lodestar.Storage.Sqlite;

/// <summary>The identity map in SQLite.</summary>
public sealed class SqliteIdentityStore(SqliteDatabase database) : IIdentityStore
{
    public string? Find(string appId, string distinctId)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT person_id FROM identities WHERE app_id = $app AND distinct_id = $id";
        command.Parameters.AddWithValue("$app", appId);
        command.Parameters.AddWithValue("$id", distinctId);
        return command.ExecuteScalar() as string;
    }

    public long Count()
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM identities";
        return (long)command.ExecuteScalar()!;
    }

    public IEnumerable<IdentityLink> All()
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT app_id, distinct_id, person_id FROM identities";
        using var reader = command.ExecuteReader();
        while (reader.Read()) yield return new IdentityLink(reader.GetString(0), reader.GetString(1), reader.GetString(2));
    }

    public bool HasUserId(string appId, string personId)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT EXISTS (SELECT 1 FROM identities WHERE app_id = $app AND person_id = $person AND distinct_id LIKE 'u:%')";
        command.Parameters.AddWithValue("$app", appId);
        command.Parameters.AddWithValue("$person", personId);
        return (long)command.ExecuteScalar()! == 1;
    }

    public IReadOnlyList<string> IdsOf(string appId, string personId)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT distinct_id FROM identities WHERE app_id = $app AND person_id = $person ORDER BY distinct_id";
        command.Parameters.AddWithValue("$app", appId);
        command.Parameters.AddWithValue("$person", personId);
        using var reader = command.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read()) ids.Add(reader.GetString(0));
        return ids;
    }

    public void Delete(string appId, string personId)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM identities WHERE app_id = $app AND person_id = $person; " +
                              "DELETE FROM pending_merges WHERE app_id = $app AND (from_person_id = $person OR to_person_id = $person)";
        command.Parameters.AddWithValue("$app", appId);
        command.Parameters.AddWithValue("$person", personId);
        command.ExecuteNonQuery();
    }

    public void Save(IReadOnlyList<IdentityLink> links, IReadOnlyList<(string AppId, string FromPersonId, string ToPersonId)> merges)
    {
        if (links.Count == 0 && merges.Count == 0) return;
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO identities (app_id, distinct_id, person_id) VALUES ($app, $id, $person) " +
                                 "ON CONFLICT (app_id, distinct_id) DO UPDATE SET person_id = excluded.person_id";
            var app = insert.Parameters.Add("$app", Microsoft.Data.Sqlite.SqliteType.Text);
            var id = insert.Parameters.Add("$id", Microsoft.Data.Sqlite.SqliteType.Text);
            var person = insert.Parameters.Add("$person", Microsoft.Data.Sqlite.SqliteType.Text);
            insert.Prepare();
            foreach (var link in links)
            {
                app.Value = link.AppId;
                id.Value = link.DistinctId;
                person.Value = link.PersonId;
                insert.ExecuteNonQuery();
            }
        }

        using (var update = connection.CreateCommand())
        {
            update.Transaction = transaction;
            update.CommandText = "UPDATE identities SET person_id = $to WHERE app_id = $app AND person_id = $from";
            foreach (var (appId, from, to) in merges)
            {
                update.Parameters.Clear();
                update.Parameters.AddWithValue("$app", appId);
                update.Parameters.AddWithValue("$from", from);
                update.Parameters.AddWithValue("$to", to);
                update.ExecuteNonQuery();
            }
        }

        if (merges.Count > 0)
        {
            using var journal = connection.CreateCommand();
            journal.Transaction = transaction;
            journal.CommandText = "INSERT INTO pending_merges (app_id, from_person_id, to_person_id) VALUES ($app, $from, $to)";
            var app = journal.Parameters.Add("$app", Microsoft.Data.Sqlite.SqliteType.Text);
            var from = journal.Parameters.Add("$from", Microsoft.Data.Sqlite.SqliteType.Text);
            var to = journal.Parameters.Add("$to", Microsoft.Data.Sqlite.SqliteType.Text);
            foreach (var merge in merges)
            {
                app.Value = merge.AppId;
                from.Value = merge.FromPersonId;
                to.Value = merge.ToPersonId;
                journal.ExecuteNonQuery();
            }
        }

        transaction.Commit();
    }

    public IReadOnlyList<(string AppId, string FromPersonId, string ToPersonId)> PendingMerges()
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT app_id, from_person_id, to_person_id FROM pending_merges ORDER BY id";
        using var reader = command.ExecuteReader();
        var merges = new List<(string, string, string)>();
        while (reader.Read()) merges.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        return merges;
    }

    public void MergesApplied()
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM pending_merges";
        command.ExecuteNonQuery();
    }
}
