using System.Globalization;
using Lodestar.Core.Segments;
using Microsoft.Data.Sqlite;

namespace Lodestar.Storage.Sqlite;

/// <summary>
/// Saved segments in SQLite. <see cref="Version"/> is persisted in <c>settings</c> and moved in the same transaction as
/// every change, so it keeps increasing across restarts.
/// </summary>
public sealed class SqliteSegmentStore : ISegmentStore
{
    private const string VersionKey = "segments.version";
    private const string Columns = "app_id, id, name, criteria, created_at, updated_at";

    private readonly SqliteDatabase _database;
    private readonly Lock _gate = new();
    private long _version;

    public SqliteSegmentStore(SqliteDatabase database)
    {
        _database = database;
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM settings WHERE name = $name";
        command.Parameters.AddWithValue("$name", VersionKey);
        _version = command.ExecuteScalar() is string text ? long.Parse(text, CultureInfo.InvariantCulture) : 0;
    }

    public long Version => Interlocked.Read(ref _version);

    public IReadOnlyList<SavedSegment> List(string appId) => Query($"SELECT {Columns} FROM segments WHERE app_id = $app ORDER BY created_at, id", ("$app", appId));

    public IReadOnlyList<SavedSegment> ListAll() => Query($"SELECT {Columns} FROM segments ORDER BY app_id, created_at, id");

    public SavedSegment? Find(string appId, string segmentId) =>
        Query($"SELECT {Columns} FROM segments WHERE app_id = $app AND id = $id", ("$app", appId), ("$id", segmentId)).FirstOrDefault();

    public void Save(SavedSegment segment)
    {
        ArgumentNullException.ThrowIfNull(segment);
        Change(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"""
                INSERT INTO segments ({Columns}) VALUES ($app, $id, $name, $criteria, $created, $updated)
                ON CONFLICT (app_id, id) DO UPDATE SET name = excluded.name, criteria = excluded.criteria, updated_at = excluded.updated_at
                """;
            command.Parameters.AddWithValue("$app", segment.AppId);
            command.Parameters.AddWithValue("$id", segment.Id);
            command.Parameters.AddWithValue("$name", segment.Name);
            command.Parameters.AddWithValue("$criteria", segment.CriteriaJson);
            command.Parameters.AddWithValue("$created", segment.CreatedAt.ToString("O", CultureInfo.InvariantCulture));
            command.Parameters.AddWithValue("$updated", segment.UpdatedAt.ToString("O", CultureInfo.InvariantCulture));
            return command.ExecuteNonQuery() > 0;
        });
    }

    public bool Delete(string appId, string segmentId) => Change(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM segments WHERE app_id = $app AND id = $id";
        command.Parameters.AddWithValue("$app", appId);
        command.Parameters.AddWithValue("$id", segmentId);
        return command.ExecuteNonQuery() > 0;
    });

    private bool Change(Func<SqliteConnection, bool> change)
    {
        lock (_gate)
        {
            using var connection = _database.Open();
            using var transaction = connection.BeginTransaction();
            if (!change(connection))
            {
                transaction.Rollback();
                return false;
            }

            long next = _version + 1;
            using (var command = connection.CreateCommand())
            {
                command.CommandText = "INSERT INTO settings (name, value) VALUES ($name, $value) ON CONFLICT (name) DO UPDATE SET value = excluded.value";
                command.Parameters.AddWithValue("$name", VersionKey);
                command.Parameters.AddWithValue("$value", next.ToString(CultureInfo.InvariantCulture));
                command.ExecuteNonQuery();
            }

            transaction.Commit();
            Interlocked.Exchange(ref _version, next);
            return true;
        }
    }

    private List<SavedSegment> Query(string sql, params (string Name, string Value)[] parameters)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        using var reader = command.ExecuteReader();
        var segments = new List<SavedSegment>();
        while (reader.Read())
        {
            string criteria = reader.GetString(3);
            segments.Add(new SavedSegment
            {
                AppId = reader.GetString(0),
                Id = reader.GetString(1),
                Name = reader.GetString(2),
                CriteriaJson = criteria,
                // Checked against the app's segments when saved; a reference to a segment deleted since is not matched.
                Criteria = SegmentCriteriaParser.Parse(criteria),
                CreatedAt = DateTimeOffset.Parse(reader.GetString(4), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                UpdatedAt = DateTimeOffset.Parse(reader.GetString(5), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
            });
        }

        return segments;
    }
}
