using Microsoft.Data.Sqlite;

namespace Lodestar.Storage.Sqlite;

/// <summary>The embedded SQLite file (WAL) that holds all transactional state.</summary>
public sealed class SqliteDatabase
{
    private readonly string _connectionString;

    public SqliteDatabase(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        using var connection = Open();
        Execute(connection, "PRAGMA journal_mode=WAL;");
        Migrate(connection);
    }

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        // Pooled connections keep their native handle: set the per-connection pragmas once per handle, not per open.
        if (Configured.TryAdd(connection.Handle!, true))
        {
            // WAL with synchronous=NORMAL survives a process crash (SIGKILL); events carry the durability promise.
            Execute(connection, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;");
        }

        return connection;
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SQLitePCL.sqlite3, object> Configured = new();

    public static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }

    private static void Migrate(SqliteConnection connection)
    {
        Execute(connection, """
            CREATE TABLE IF NOT EXISTS settings (
                name TEXT PRIMARY KEY,
                value TEXT NOT NULL
            );
            CREATE TABLE IF NOT EXISTS apps (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                created_at TEXT NOT NULL,
                production_key TEXT NOT NULL UNIQUE,
                development_key TEXT NOT NULL UNIQUE,
                export_key TEXT NOT NULL UNIQUE,
                write_key TEXT NOT NULL UNIQUE
            );
            CREATE TABLE IF NOT EXISTS identities (
                app_id TEXT NOT NULL,
                distinct_id TEXT NOT NULL,
                person_id TEXT NOT NULL,
                PRIMARY KEY (app_id, distinct_id)
            ) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS identities_person ON identities (app_id, person_id);
            CREATE TABLE IF NOT EXISTS pending_merges (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                app_id TEXT NOT NULL,
                from_person_id TEXT NOT NULL,
                to_person_id TEXT NOT NULL
            );
            CREATE TABLE IF NOT EXISTS profiles (
                app_id TEXT NOT NULL,
                person_id TEXT NOT NULL,
                user_id TEXT,
                first_seen TEXT,
                last_active TEXT,
                data TEXT NOT NULL,
                PRIMARY KEY (app_id, person_id)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS cursors (
                name TEXT PRIMARY KEY,
                sequence INTEGER NOT NULL
            );
            CREATE TABLE IF NOT EXISTS segments (
                app_id TEXT NOT NULL,
                id TEXT NOT NULL,
                name TEXT NOT NULL,
                criteria TEXT NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (app_id, id)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS profile_deletions (
                app_id TEXT NOT NULL,
                person_id TEXT NOT NULL,
                version INTEGER NOT NULL
            );
            """);

        // Files from before profile versions: every profile starts at version 0 (older than any mirror built since).
        using (var column = connection.CreateCommand())
        {
            column.CommandText = "SELECT count(*) FROM pragma_table_info('profiles') WHERE name = 'version'";
            if ((long)column.ExecuteScalar()! == 0) Execute(connection, "ALTER TABLE profiles ADD COLUMN version INTEGER NOT NULL DEFAULT 0");
        }

        Execute(connection, "CREATE INDEX IF NOT EXISTS profiles_version ON profiles (app_id, version)");
    }
}
