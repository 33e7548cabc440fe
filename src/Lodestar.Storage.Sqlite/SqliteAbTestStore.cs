using System.Globalization;
using Lodestar.Core.Experiments;
using Lodestar.Core.Profiles;
using Microsoft.Data.Sqlite;

namespace Lodestar.Storage.Sqlite;

/// <summary>A/B tests, their variants and the persons assigned to them.</summary>
public sealed class SqliteAbTestStore : IAbTestStore, IPersonDataEraser
{
    private readonly SqliteDatabase _database;

    public SqliteAbTestStore(SqliteDatabase database)
    {
        _database = database;
        using var connection = database.Open();
        SqliteDatabase.Execute(connection, """
            CREATE TABLE IF NOT EXISTS ab_tests (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                app_id TEXT NOT NULL,
                name TEXT NOT NULL,
                seed TEXT NOT NULL,
                segment_id TEXT,
                traffic_percent REAL NOT NULL,
                status TEXT NOT NULL,
                winner_variant_id INTEGER,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                started_at TEXT
            );
            CREATE INDEX IF NOT EXISTS ab_tests_app ON ab_tests (app_id);
            CREATE TABLE IF NOT EXISTS ab_test_variants (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                test_id INTEGER NOT NULL,
                position INTEGER NOT NULL,
                name TEXT NOT NULL,
                weight REAL NOT NULL,
                vars TEXT NOT NULL
            );
            CREATE INDEX IF NOT EXISTS ab_test_variants_test ON ab_test_variants (test_id);
            CREATE TABLE IF NOT EXISTS ab_test_assignments (
                test_id INTEGER NOT NULL,
                person_id TEXT NOT NULL,
                variant_id INTEGER NOT NULL,
                device_id TEXT,
                assigned_at TEXT NOT NULL,
                PRIMARY KEY (test_id, person_id)
            ) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS ab_test_assignments_device ON ab_test_assignments (test_id, device_id);
            """);
    }

    public AbTest Create(AbTest test)
    {
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction();
        long id;
        using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = """
                INSERT INTO ab_tests (app_id, name, seed, segment_id, traffic_percent, status, winner_variant_id, created_at, updated_at, started_at)
                VALUES ($app, $name, $seed, $segment, $traffic, $status, NULL, $created, $updated, $started) RETURNING id
                """;
            command.Parameters.AddWithValue("$app", test.AppId);
            command.Parameters.AddWithValue("$seed", test.Seed);
            command.Parameters.AddWithValue("$created", Text(test.CreatedAt));
            AddDefinition(command, test);
            id = (long)command.ExecuteScalar()!;
        }

        SaveVariants(connection, transaction, id, test.Variants);
        transaction.Commit();
        return Find(connection, test.AppId, id.ToString(CultureInfo.InvariantCulture))!;
    }

    public AbTest? Update(AbTest test)
    {
        if (!long.TryParse(test.Id, NumberStyles.None, CultureInfo.InvariantCulture, out long id)) return null;
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction();
        using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = """
                UPDATE ab_tests SET name = $name, segment_id = $segment, traffic_percent = $traffic, status = $status,
                    winner_variant_id = $winner, updated_at = $updated, started_at = $started
                WHERE id = $id AND app_id = $app
                """;
            command.Parameters.AddWithValue("$id", id);
            command.Parameters.AddWithValue("$app", test.AppId);
            command.Parameters.AddWithValue("$winner", (object?)test.WinnerVariantId ?? DBNull.Value);
            AddDefinition(command, test);
            if (command.ExecuteNonQuery() == 0) return null;
        }

        SaveVariants(connection, transaction, id, test.Variants);
        transaction.Commit();
        return Find(connection, test.AppId, test.Id);
    }

    public AbTest? Find(string appId, string testId)
    {
        using var connection = _database.Open();
        return Find(connection, appId, testId);
    }

    public IReadOnlyList<AbTest> List(string appId)
    {
        // Two queries whatever the number of tests: this runs on every start and getVars.
        using var connection = _database.Open();
        var tests = new List<AbTest>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = $"{SelectTests} WHERE app_id = $app ORDER BY id";
            command.Parameters.AddWithValue("$app", appId);
            using var reader = command.ExecuteReader();
            while (reader.Read()) tests.Add(ReadTest(reader, appId));
        }

        if (tests.Count == 0) return tests;
        var variants = tests.ToDictionary(t => t.Id, _ => new List<AbTestVariant>());
        using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                SELECT v.test_id, v.id, v.name, v.weight, v.vars FROM ab_test_variants v JOIN ab_tests t ON t.id = v.test_id
                WHERE t.app_id = $app ORDER BY v.test_id, v.position
                """;
            command.Parameters.AddWithValue("$app", appId);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                variants[reader.GetInt64(0).ToString(CultureInfo.InvariantCulture)]
                    .Add(new AbTestVariant(reader.GetInt64(1), reader.GetString(2), reader.GetDouble(3), reader.GetString(4)));
            }
        }

        return [.. tests.Select(t => t with { Variants = variants[t.Id] })];
    }

    public AbTestAssignment? FindAssignment(string testId, string personId, IReadOnlyCollection<string> deviceIds)
    {
        if (!long.TryParse(testId, NumberStyles.None, CultureInfo.InvariantCulture, out long id)) return null;
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT person_id, variant_id, device_id, assigned_at FROM ab_test_assignments WHERE test_id = $test AND person_id = $person";
        command.Parameters.AddWithValue("$test", id);
        command.Parameters.AddWithValue("$person", personId);
        if (Read(command, testId) is { } own) return own;
        if (deviceIds.Count == 0) return null;

        // A device assigned while anonymous, then merged into a known person: the earliest such assignment.
        command.Parameters.Clear();
        var names = new List<string>();
        int i = 0;
        foreach (string device in deviceIds)
        {
            string name = "$d" + i++.ToString(CultureInfo.InvariantCulture);
            names.Add(name);
            command.Parameters.AddWithValue(name, device);
        }

        command.CommandText = $"""
            SELECT person_id, variant_id, device_id, assigned_at FROM ab_test_assignments
            WHERE test_id = $test AND device_id IN ({string.Join(", ", names)}) ORDER BY assigned_at LIMIT 1
            """;
        command.Parameters.AddWithValue("$test", id);
        return Read(command, testId);
    }

    public bool TryAssign(AbTestAssignment assignment)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO ab_test_assignments (test_id, person_id, variant_id, device_id, assigned_at)
            VALUES ($test, $person, $variant, $device, $at) ON CONFLICT DO NOTHING
            """;
        command.Parameters.AddWithValue("$test", long.Parse(assignment.TestId, CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$person", assignment.PersonId);
        command.Parameters.AddWithValue("$variant", assignment.VariantId);
        command.Parameters.AddWithValue("$device", (object?)assignment.DeviceId ?? DBNull.Value);
        command.Parameters.AddWithValue("$at", Text(assignment.AssignedAt));
        return command.ExecuteNonQuery() == 1;
    }

    public IReadOnlyDictionary<long, long> CountAssignments(string testId)
    {
        var counts = new Dictionary<long, long>();
        if (!long.TryParse(testId, NumberStyles.None, CultureInfo.InvariantCulture, out long id)) return counts;
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT variant_id, count(*) FROM ab_test_assignments WHERE test_id = $test GROUP BY variant_id";
        command.Parameters.AddWithValue("$test", id);
        using var reader = command.ExecuteReader();
        while (reader.Read()) counts[reader.GetInt64(0)] = reader.GetInt64(1);
        return counts;
    }

    /// <summary>
    /// Removes the person's assignments in the app's tests, and those kept under any of the person's devices (an
    /// anonymous person merged into this one left its assignment under its own person id and device, and
    /// <see cref="FindAssignment"/> would hand it to whoever uses the device next). Reads the person's device ids from
    /// the identity table, so it runs before the identities are erased.
    /// </summary>
    public ValueTask EraseAsync(string appId, string personId, CancellationToken cancellationToken)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            DELETE FROM ab_test_assignments WHERE test_id IN (SELECT id FROM ab_tests WHERE app_id = $app) AND (
                person_id = $person OR device_id IN (
                    SELECT substr(distinct_id, 3) FROM identities WHERE app_id = $app AND person_id = $person AND distinct_id LIKE 'a:%'))
            """;
        command.Parameters.AddWithValue("$app", appId);
        command.Parameters.AddWithValue("$person", personId);
        command.ExecuteNonQuery();
        return ValueTask.CompletedTask;
    }

    private static AbTestAssignment? Read(SqliteCommand command, string testId)
    {
        using var reader = command.ExecuteReader();
        if (!reader.Read()) return null;
        return new AbTestAssignment(testId, reader.GetString(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetString(2), Parse(reader.GetString(3)));
    }

    private static void AddDefinition(SqliteCommand command, AbTest test)
    {
        command.Parameters.AddWithValue("$name", test.Name);
        command.Parameters.AddWithValue("$segment", (object?)test.SegmentId ?? DBNull.Value);
        command.Parameters.AddWithValue("$traffic", test.TrafficPercent);
        command.Parameters.AddWithValue("$status", test.Status.ToString());
        command.Parameters.AddWithValue("$updated", Text(test.UpdatedAt));
        command.Parameters.AddWithValue("$started", test.StartedAt is { } started ? Text(started) : DBNull.Value);
    }

    private static void SaveVariants(SqliteConnection connection, SqliteTransaction transaction, long testId, IReadOnlyList<AbTestVariant> variants)
    {
        var kept = variants.Where(v => v.Id > 0).Select(v => v.Id).ToList();
        using (var delete = connection.CreateCommand())
        {
            delete.Transaction = transaction;
            string keep = kept.Count == 0 ? "" : $" AND {{0}} NOT IN ({string.Join(", ", kept)})";
            delete.CommandText = $"""
                DELETE FROM ab_test_assignments WHERE test_id = $test{string.Format(CultureInfo.InvariantCulture, keep, "variant_id")};
                DELETE FROM ab_test_variants WHERE test_id = $test{string.Format(CultureInfo.InvariantCulture, keep, "id")};
                """;
            delete.Parameters.AddWithValue("$test", testId);
            delete.ExecuteNonQuery();
        }

        for (int position = 0; position < variants.Count; position++)
        {
            var variant = variants[position];
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = variant.Id > 0
                ? "UPDATE ab_test_variants SET position = $position, name = $name, weight = $weight, vars = $vars WHERE id = $id AND test_id = $test"
                : "INSERT INTO ab_test_variants (test_id, position, name, weight, vars) VALUES ($test, $position, $name, $weight, $vars)";
            command.Parameters.AddWithValue("$id", variant.Id);
            command.Parameters.AddWithValue("$test", testId);
            command.Parameters.AddWithValue("$position", position);
            command.Parameters.AddWithValue("$name", variant.Name);
            command.Parameters.AddWithValue("$weight", variant.Weight);
            command.Parameters.AddWithValue("$vars", variant.ValuesJson);
            command.ExecuteNonQuery();
        }
    }

    private static AbTest? Find(SqliteConnection connection, string appId, string testId)
    {
        if (!long.TryParse(testId, NumberStyles.None, CultureInfo.InvariantCulture, out long id)) return null;
        AbTest test;
        using (var command = connection.CreateCommand())
        {
            command.CommandText = $"{SelectTests} WHERE id = $id AND app_id = $app";
            command.Parameters.AddWithValue("$id", id);
            command.Parameters.AddWithValue("$app", appId);
            using var reader = command.ExecuteReader();
            if (!reader.Read()) return null;
            test = ReadTest(reader, appId);
        }

        var variants = new List<AbTestVariant>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT id, name, weight, vars FROM ab_test_variants WHERE test_id = $id ORDER BY position";
            command.Parameters.AddWithValue("$id", id);
            using var reader = command.ExecuteReader();
            while (reader.Read()) variants.Add(new AbTestVariant(reader.GetInt64(0), reader.GetString(1), reader.GetDouble(2), reader.GetString(3)));
        }

        return test with { Variants = variants };
    }

    private const string SelectTests =
        "SELECT id, name, seed, segment_id, traffic_percent, status, winner_variant_id, created_at, updated_at, started_at FROM ab_tests";

    private static AbTest ReadTest(SqliteDataReader reader, string appId) => new(
        reader.GetInt64(0).ToString(CultureInfo.InvariantCulture), appId, reader.GetString(1), reader.GetString(2),
        reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetDouble(4), Enum.Parse<AbTestStatus>(reader.GetString(5)), [],
        reader.IsDBNull(6) ? null : reader.GetInt64(6), Parse(reader.GetString(7)), Parse(reader.GetString(8)),
        reader.IsDBNull(9) ? null : Parse(reader.GetString(9)));

    private static string Text(DateTimeOffset time) => time.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
