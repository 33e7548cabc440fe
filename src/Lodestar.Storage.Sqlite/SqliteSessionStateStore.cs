using System.Globalization;
using Lodestar.Core.Sessions;
using Microsoft.Data.Sqlite;

namespace Lodestar.Storage.Sqlite;

/// <summary>Per-device SDK session state, so sessions and time in app survive a restart.</summary>
public sealed class SqliteSessionStateStore : ISessionStateStore
{
    private readonly SqliteDatabase _database;

    public SqliteSessionStateStore(SqliteDatabase database)
    {
        _database = database;
        using var connection = database.Open();
        SqliteDatabase.Execute(connection, """
            CREATE TABLE IF NOT EXISTS device_sessions (
                app_id TEXT NOT NULL,
                device_id TEXT NOT NULL,
                open INTEGER NOT NULL,
                paused_at TEXT,
                counted_until TEXT NOT NULL,
                last_activity TEXT NOT NULL,
                PRIMARY KEY (app_id, device_id)
            ) WITHOUT ROWID;
            """);
    }

    public SessionState? Find(string appId, string deviceId)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT open, paused_at, counted_until, last_activity FROM device_sessions WHERE app_id = $app AND device_id = $device";
        command.Parameters.AddWithValue("$app", appId);
        command.Parameters.AddWithValue("$device", deviceId);
        using var reader = command.ExecuteReader();
        if (!reader.Read()) return null;
        return new SessionState
        {
            Open = reader.GetInt64(0) == 1,
            PausedAt = reader.IsDBNull(1) ? null : Time(reader.GetString(1)),
            CountedUntil = Time(reader.GetString(2)),
            LastActivity = Time(reader.GetString(3)),
        };
    }

    public void Save(IReadOnlyCollection<(string AppId, string DeviceId, SessionState State)> states)
    {
        if (states.Count == 0) return;
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO device_sessions (app_id, device_id, open, paused_at, counted_until, last_activity)
            VALUES ($app, $device, $open, $paused, $counted, $last)
            ON CONFLICT (app_id, device_id) DO UPDATE SET open = excluded.open, paused_at = excluded.paused_at,
                counted_until = excluded.counted_until, last_activity = excluded.last_activity
            """;
        var app = command.Parameters.Add("$app", SqliteType.Text);
        var device = command.Parameters.Add("$device", SqliteType.Text);
        var open = command.Parameters.Add("$open", SqliteType.Integer);
        var paused = command.Parameters.Add("$paused", SqliteType.Text);
        var counted = command.Parameters.Add("$counted", SqliteType.Text);
        var last = command.Parameters.Add("$last", SqliteType.Text);
        command.Prepare();
        foreach (var (appId, deviceId, state) in states)
        {
            app.Value = appId;
            device.Value = deviceId;
            open.Value = state.Open ? 1 : 0;
            paused.Value = state.PausedAt is { } p ? Text(p) : DBNull.Value;
            counted.Value = Text(state.CountedUntil);
            last.Value = Text(state.LastActivity);
            command.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    public void Delete(string appId, IReadOnlyCollection<string> deviceIds)
    {
        if (deviceIds.Count == 0) return;
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "DELETE FROM device_sessions WHERE app_id = $app AND device_id = $device";
        var app = command.Parameters.Add("$app", SqliteType.Text);
        var device = command.Parameters.Add("$device", SqliteType.Text);
        foreach (string deviceId in deviceIds)
        {
            app.Value = appId;
            device.Value = deviceId;
            command.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    private static string Text(DateTimeOffset time) => time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Time(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
