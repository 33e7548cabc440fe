using Lodestar.Core.Profiles;

namespace Lodestar.Storage.Sqlite;

/// <summary>Streams an app's profile documents out of SQLite.</summary>
public sealed class SqliteProfileReader(SqliteDatabase database) : IProfileReader
{
    public long Version => SqliteProfileStore.ReadVersion(database);

    public IEnumerable<Profile> ReadAll(string appId)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT data FROM profiles WHERE app_id = $app";
        command.Parameters.AddWithValue("$app", appId);
        using var reader = command.ExecuteReader();
        while (reader.Read()) yield return ProfileJson.Deserialize(reader.GetString(0));
    }

    public ProfileDelta<Profile>? ChangesSince(string appId, long version) =>
        SqliteProfileStore.ChangesSince(database, appId, version, "data", reader => ProfileJson.Deserialize(reader.GetString(1)));
}
