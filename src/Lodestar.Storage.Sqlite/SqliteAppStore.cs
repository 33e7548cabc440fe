using System.Collections.Concurrent;
using System.Globalization;
using Lodestar.Core.Apps;
using Microsoft.Data.Sqlite;

namespace Lodestar.Storage.Sqlite;

/// <summary>Apps, keys and settings in SQLite, with keys cached in memory (every request looks one up).</summary>
public sealed class SqliteAppStore(SqliteDatabase database, TimeProvider time) : IAppStore
{
    private const string Columns = "id, name, created_at, production_key, development_key, export_key, write_key";

    private readonly ConcurrentDictionary<string, (App App, KeyKind Kind)?> _byKey = new(StringComparer.Ordinal);

    public App Create(string name)
    {
        var app = new App(KeyGenerator.New("app_", 20), name, KeyGenerator.NewKeys(), time.GetUtcNow());
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"INSERT INTO apps ({Columns}) VALUES ($id, $name, $created, $prod, $dev, $export, $write)";
        command.Parameters.AddWithValue("$id", app.Id);
        command.Parameters.AddWithValue("$name", app.Name);
        command.Parameters.AddWithValue("$created", app.CreatedAt.ToString("O", CultureInfo.InvariantCulture));
        AddKeys(command, app.Keys);
        command.ExecuteNonQuery();
        _byKey.Clear();
        return app;
    }

    public IReadOnlyList<App> List() => Query($"SELECT {Columns} FROM apps ORDER BY created_at, id", null);

    public App? Find(string appId) => Query($"SELECT {Columns} FROM apps WHERE id = $p", appId).FirstOrDefault();

    public (App App, KeyKind Kind)? FindByKey(string key) => _byKey.GetOrAdd(key, k =>
    {
        var app = Query($"SELECT {Columns} FROM apps WHERE $p IN (production_key, development_key, export_key, write_key)", k).FirstOrDefault();
        return app is null ? null : (app, app.Keys.KindOf(k)!.Value);
    });

    public App? RotateKeys(string appId, IReadOnlyCollection<KeyKind> kinds)
    {
        var app = Find(appId);
        if (app is null) return null;
        var fresh = KeyGenerator.NewKeys();
        bool all = kinds.Count == 0;
        var keys = new AppKeys(
            all || kinds.Contains(KeyKind.Production) ? fresh.Production : app.Keys.Production,
            all || kinds.Contains(KeyKind.Development) ? fresh.Development : app.Keys.Development,
            all || kinds.Contains(KeyKind.Export) ? fresh.Export : app.Keys.Export,
            all || kinds.Contains(KeyKind.SegmentWriteKey) ? fresh.SegmentWriteKey : app.Keys.SegmentWriteKey);
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE apps SET production_key = $prod, development_key = $dev, export_key = $export, write_key = $write WHERE id = $id";
        command.Parameters.AddWithValue("$id", appId);
        AddKeys(command, keys);
        command.ExecuteNonQuery();
        _byKey.Clear();
        return app with { Keys = keys };
    }

    public string? GetSetting(string name)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM settings WHERE name = $name";
        command.Parameters.AddWithValue("$name", name);
        return command.ExecuteScalar() as string;
    }

    public void SetSetting(string name, string value)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO settings (name, value) VALUES ($name, $value) ON CONFLICT (name) DO UPDATE SET value = excluded.value";
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$value", value);
        command.ExecuteNonQuery();
    }

    private static void AddKeys(SqliteCommand command, AppKeys keys)
    {
        command.Parameters.AddWithValue("$prod", keys.Production);
        command.Parameters.AddWithValue("$dev", keys.Development);
        command.Parameters.AddWithValue("$export", keys.Export);
        command.Parameters.AddWithValue("$write", keys.SegmentWriteKey);
    }

    private List<App> Query(string sql, string? parameter)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        if (parameter is not null) command.Parameters.AddWithValue("$p", parameter);
        using var reader = command.ExecuteReader();
        var apps = new List<App>();
        while (reader.Read())
        {
            apps.Add(new App(
                reader.GetString(0),
                reader.GetString(1),
                new AppKeys(reader.GetString(3), reader.GetString(4), reader.GetString(5), reader.GetString(6)),
                DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture)));
        }

        return apps;
    }
}
