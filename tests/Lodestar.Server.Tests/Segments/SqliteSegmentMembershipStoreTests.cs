using Lodestar.Core.Segments;
using Lodestar.Server.Tests.Infrastructure;
using Lodestar.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Lodestar.Server.Tests.Segments;

/// <summary>
/// The membership store's commits (changes folded per membership, persons and segments under integer keys) against an
/// in-memory model applying the same changes one by one: random commits of up to 300 changes over few keys (every fifth
/// up to 2,500), one commit often entering and leaving the same membership, and ids with quotes, backslashes and
/// non-ASCII characters.
/// </summary>
public sealed class SqliteSegmentMembershipStoreTests : IDisposable
{
    private readonly string _dir = LodestarFactory.NewDataDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void KeptEmissions_ComeBackInOrder_UntilMarkedDone_AndGoWithAnErasedPerson()
    {
        using var store = new SqliteSegmentMembershipStore(new SqliteDatabase(Path.Combine(_dir, "emissions.sqlite")));
        var at = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(1234567);
        SegmentEmission Emission(string person, string? user, string? anonymous, int n) =>
            new(0, "a", person, $"m{n}", $"Segment \"{n}\" é", n % 2 == 0, user, anonymous, at.AddMinutes(n));

        store.Commit([new SegmentMembershipChange("a", "s", "p1", true, at)], [], 7, [Emission("p1", "u1", null, 0), Emission("p2", null, "anon-2", 1)]);
        store.Commit([], [], null, [Emission("p3", "u3", null, 2)]);
        var pending = store.PendingEmissions(10);
        Assert.Equal(["m0", "m1", "m2"], pending.Select(e => e.SegmentId));
        Assert.True(pending[0].Id < pending[1].Id && pending[1].Id < pending[2].Id);
        Assert.Equal(Emission("p2", null, "anon-2", 1) with { Id = pending[1].Id }, pending[1]);
        Assert.Equal(Emission("p1", "u1", null, 0) with { Id = pending[0].Id }, pending[0]);
        Assert.Equal(7, store.Cursor);

        Assert.Equal(["m0", "m1"], store.PendingEmissions(2).Select(e => e.SegmentId));
        store.EmissionsDone(pending[0].Id);
        Assert.Equal(["m1", "m2"], store.PendingEmissions(10).Select(e => e.SegmentId));

        // An erased person's kept events go with them, and a commit decided before the erasure keeps none of theirs.
        store.Erase("a", "p3");
        store.Commit([], [], null, [Emission("p3", "u3", null, 4)]);
        Assert.Equal(["m1"], store.PendingEmissions(10).Select(e => e.SegmentId));
        store.EmissionsDone(long.MaxValue);
        Assert.Empty(store.PendingEmissions(10));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Commits_equal_the_changes_applied_one_by_one(int seed)
    {
        var store = new SqliteSegmentMembershipStore(new SqliteDatabase(Path.Combine(_dir, $"state{seed}.sqlite")));
        var random = new Random(seed);
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        string[] apps = ["a", "b"];
        var members = new Dictionary<(string App, string Segment, string Person), DateTimeOffset>();
        var history = new Dictionary<(string App, string Person), List<SegmentMembershipChange>>();
        var timers = new Dictionary<(string App, string Person), DateTimeOffset>();
        for (int commit = 0; commit < 20; commit++)
        {
            var at = start.AddMinutes(commit);
            var changes = new List<SegmentMembershipChange>();
            for (int i = random.Next(0, commit % 5 == 4 ? 2_500 : 300); i > 0; i--)
            {
                string person = random.Next(4) == 0 ? $"p\"{random.Next(30)}\\é✓" : $"p{random.Next(30)}";
                var change = new SegmentMembershipChange(apps[random.Next(2)], $"s{random.Next(6)}", person, random.Next(2) == 0, at.AddTicks(i));
                changes.Add(change);
                var key = (change.AppId, change.SegmentId, change.PersonId);
                if (!change.Entered) members.Remove(key);
                else members.TryAdd(key, change.At);
                if (!history.TryGetValue((change.AppId, change.PersonId), out var list)) history[(change.AppId, change.PersonId)] = list = [];
                list.Add(change);
            }

            var timerChanges = new Dictionary<(string, string), SegmentTimer>();
            for (int i = random.Next(0, 150); i > 0; i--)
            {
                var timer = new SegmentTimer(apps[random.Next(2)], $"p{random.Next(100)}", random.Next(3) == 0 ? null : at.AddHours(random.Next(1, 48)));
                timerChanges[(timer.AppId, timer.PersonId)] = timer;
            }

            foreach (var timer in timerChanges.Values)
            {
                if (timer.DueAt is { } due) timers[(timer.AppId, timer.PersonId)] = due;
                else timers.Remove((timer.AppId, timer.PersonId));
            }

            store.Commit(changes, timerChanges.Values, commit);
        }

        Assert.Equal(19, store.Cursor);
        foreach (var app in apps)
        {
            for (int s = 0; s < 6; s++)
            {
                var expected = members.Keys.Where(k => k.App == app && k.Segment == $"s{s}").Select(k => k.Person).Order(StringComparer.Ordinal);
                Assert.Equal(expected, store.Members(app, $"s{s}"));
            }

            for (int p = 0; p < 30; p++)
            {
                var expected = members.Where(m => m.Key.App == app && m.Key.Person == $"p{p}").ToDictionary(m => m.Key.Segment, m => m.Value);
                Assert.Equal(expected.OrderBy(e => e.Key), store.Memberships(app, $"p{p}").OrderBy(e => e.Key));
                Assert.Equal(history.GetValueOrDefault((app, $"p{p}")) ?? [], store.History(app, $"p{p}"));
            }
        }

        var stored = store.DueTimers(DateTimeOffset.MaxValue.AddDays(-1), 100_000);
        Assert.Equal(
            timers.Select(t => (t.Key.App, t.Key.Person, t.Value)).Order(),
            stored.Select(t => (t.AppId, t.PersonId, t.DueAt!.Value)).Order());
    }

    [Fact]
    public void A_commit_decided_before_an_erasure_does_not_bring_the_erased_person_back()
    {
        var store = new SqliteSegmentMembershipStore(new SqliteDatabase(Path.Combine(_dir, "erase.sqlite")));
        var at = DateTimeOffset.Parse("2024-05-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        store.Commit([new SegmentMembershipChange("a", "s1", "gone", true, at), new SegmentMembershipChange("a", "s1", "stays", true, at)],
            [new SegmentTimer("a", "gone", at.AddDays(30)), new SegmentTimer("a", "stays", at.AddDays(30))], 1);

        store.Erase("a", "gone");
        // The router's next commit was decided before the erasure (the erased person is still in it).
        store.Commit([new SegmentMembershipChange("a", "s2", "gone", true, at.AddSeconds(1)), new SegmentMembershipChange("a", "s2", "stays", true, at.AddSeconds(1))],
            [new SegmentTimer("a", "gone", at.AddDays(7))], 2);

        Assert.Empty(store.Memberships("a", "gone"));
        Assert.Empty(store.History("a", "gone"));
        Assert.DoesNotContain(store.DueTimers(DateTimeOffset.MaxValue, 100), t => t.PersonId == "gone");
        Assert.Equal(["s1", "s2"], store.Memberships("a", "stays").Keys.Order(StringComparer.Ordinal));
        Assert.Equal(2, store.Cursor);
        // The router asks before emitting what it decided about a person.
        Assert.True(store.WasErased("a", "gone"));
        Assert.False(store.WasErased("a", "stays"));
    }

    [Fact]
    public void A_file_of_the_old_layout_is_migrated_with_its_memberships_and_history()
    {
        string path = Path.Combine(_dir, "old.sqlite");
        var database = new SqliteDatabase(path);
        var at = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        // The layout before the person key, as the store created it, with rows written as it wrote them.
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=false"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE segment_members (
                    app_id TEXT NOT NULL, segment_id TEXT NOT NULL, person_id TEXT NOT NULL, entered_at TEXT NOT NULL,
                    PRIMARY KEY (app_id, segment_id, person_id)
                ) WITHOUT ROWID;
                CREATE INDEX segment_members_person ON segment_members (app_id, person_id);
                CREATE TABLE segment_member_history (
                    id INTEGER PRIMARY KEY, app_id TEXT NOT NULL, segment_id TEXT NOT NULL, person_id TEXT NOT NULL,
                    entered INTEGER NOT NULL, at TEXT NOT NULL
                );
                CREATE INDEX segment_member_history_person ON segment_member_history (app_id, person_id);
                CREATE TABLE segment_timers (
                    app_id TEXT NOT NULL, person_id TEXT NOT NULL, due_at TEXT NOT NULL, PRIMARY KEY (app_id, person_id)
                ) WITHOUT ROWID;
                CREATE INDEX segment_timers_due ON segment_timers (due_at);
                INSERT INTO segment_members VALUES
                    ('a', 's1', 'p1', '2026-03-01T12:00:00.0000000Z'), ('a', 's2', 'p1', '2026-03-01T12:00:01.0000000Z'),
                    ('a', 's1', 'p2', '2026-03-01T12:00:02.0000000Z'), ('b', 's1', 'p1', '2026-03-01T12:00:03.0000000Z');
                INSERT INTO segment_member_history (app_id, segment_id, person_id, entered, at) VALUES
                    ('a', 's1', 'p1', 1, '2026-03-01T12:00:00.0000000Z'), ('a', 's3', 'p1', 1, '2026-03-01T12:00:00.5000000Z'),
                    ('a', 's2', 'p1', 1, '2026-03-01T12:00:01.0000000Z'), ('a', 's1', 'p2', 1, '2026-03-01T12:00:02.0000000Z'),
                    ('b', 's1', 'p1', 1, '2026-03-01T12:00:03.0000000Z'), ('a', 's3', 'p1', 0, '2026-03-01T12:00:04.0000000Z');
                INSERT INTO segment_timers VALUES ('a', 'p1', '2026-03-02T00:00:00.0000000Z');
                """;
            command.ExecuteNonQuery();
        }

        var store = new SqliteSegmentMembershipStore(database);

        Assert.Equal(new Dictionary<string, DateTimeOffset> { ["s1"] = at, ["s2"] = at.AddSeconds(1) }, store.Memberships("a", "p1"));
        Assert.Equal(new Dictionary<string, DateTimeOffset> { ["s1"] = at.AddSeconds(3) }, store.Memberships("b", "p1"));
        Assert.Equal(["p1", "p2"], store.Members("a", "s1"));
        Assert.Equal(["p1"], store.Members("a", "s2"));
        Assert.Equal(
            [("s1", true, at), ("s3", true, at.AddSeconds(0.5)), ("s2", true, at.AddSeconds(1)), ("s3", false, at.AddSeconds(4))],
            store.History("a", "p1").Select(h => (h.SegmentId, h.Entered, h.At)));
        Assert.Equal([new SegmentTimer("a", "p1", at.AddHours(12))], store.DueTimers(at.AddDays(1), 10));

        // The old second index and the history index are gone; the file goes on working (and opens again unchanged).
        Assert.Equal(["segment_timers_due"], Indexes(path));
        store.Commit([new SegmentMembershipChange("a", "s2", "p1", false, at.AddSeconds(5)), new SegmentMembershipChange("a", "s3", "p2", true, at.AddSeconds(5))], [], 7);
        var reopened = new SqliteSegmentMembershipStore(database);
        Assert.Equal(new Dictionary<string, DateTimeOffset> { ["s1"] = at }, reopened.Memberships("a", "p1"));
        Assert.Equal(["p2"], reopened.Members("a", "s3"));
        Assert.Equal(5, reopened.History("a", "p1").Count);
        Assert.Equal(7, reopened.Cursor);
        reopened.Erase("a", "p1");
        Assert.Empty(reopened.Memberships("a", "p1"));
        Assert.Empty(reopened.History("a", "p1"));
        Assert.Single(reopened.History("b", "p1"));
        Assert.Equal(["p2"], reopened.Members("a", "s1"));
    }

    [Fact]
    public void Empty_ids_are_stored_as_empty_texts()
    {
        using var store = new SqliteSegmentMembershipStore(new SqliteDatabase(Path.Combine(_dir, "empty.sqlite")));
        var at = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        store.Commit([new SegmentMembershipChange("", "", "", true, at), new SegmentMembershipChange("", "s", "", true, at)], [new SegmentTimer("", "", at)], 1);

        Assert.Equal(["", "s"], store.Memberships("", "").Keys.Order(StringComparer.Ordinal));
        Assert.Equal([""], store.Members("", ""));
        Assert.Equal(2, store.History("", "").Count);
        Assert.Equal([new SegmentTimer("", "", at)], store.DueTimers(at, 10));
    }

    [Fact]
    public void A_file_of_the_text_keyed_layout_is_migrated_to_integer_keys_and_an_erasure_leaves_no_trace_of_the_person()
    {
        string path = Path.Combine(_dir, "text.sqlite");
        var database = new SqliteDatabase(path);
        var at = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        string odd = "p\"1\\é✓";
        // The layout keyed by person with text columns, as the store created it before the integer keys.
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=false"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE segment_members (
                    app_id TEXT NOT NULL, person_id TEXT NOT NULL, segment_id TEXT NOT NULL, entered_at TEXT NOT NULL,
                    PRIMARY KEY (app_id, person_id, segment_id)
                ) WITHOUT ROWID;
                CREATE TABLE segment_member_history (
                    id INTEGER PRIMARY KEY, app_id TEXT NOT NULL, segment_id TEXT NOT NULL, person_id TEXT NOT NULL,
                    entered INTEGER NOT NULL, at TEXT NOT NULL
                );
                INSERT INTO segment_members VALUES
                    ('a', $odd, 's1', '2026-03-01T12:00:00.1234567Z'), ('a', $odd, 's2', '2026-03-01T12:00:01.0000000Z'),
                    ('a', 'p2', 's1', '2026-03-01T12:00:02.0000000Z'), ('b', $odd, 's1', '2026-03-01T12:00:03.0000000Z');
                INSERT INTO segment_member_history (app_id, segment_id, person_id, entered, at) VALUES
                    ('a', 's1', $odd, 1, '2026-03-01T12:00:00.1234567Z'), ('a', 's2', $odd, 1, '2026-03-01T12:00:01.0000000Z');
                """;
            command.Parameters.AddWithValue("$odd", odd);
            command.ExecuteNonQuery();
        }

        var store = new SqliteSegmentMembershipStore(database);

        Assert.Equal(new Dictionary<string, DateTimeOffset> { ["s1"] = at.AddTicks(1_234_567), ["s2"] = at.AddSeconds(1) }, store.Memberships("a", odd));
        Assert.Equal(new Dictionary<string, DateTimeOffset> { ["s1"] = at.AddSeconds(3) }, store.Memberships("b", odd));
        Assert.Equal([odd, "p2"], store.Members("a", "s1"));
        Assert.Equal([odd], store.Members("b", "s1"));
        Assert.Empty(store.Members("b", "s2"));
        store.Commit([new SegmentMembershipChange("a", "s1", odd, false, at.AddSeconds(5)), new SegmentMembershipChange("a", "s3", "p2", true, at.AddSeconds(6))], [], 3);
        store.Dispose();

        var reopened = new SqliteSegmentMembershipStore(database);
        Assert.Equal(new Dictionary<string, DateTimeOffset> { ["s2"] = at.AddSeconds(1) }, reopened.Memberships("a", odd));
        Assert.Equal(new Dictionary<string, DateTimeOffset> { ["s1"] = at.AddSeconds(2), ["s3"] = at.AddSeconds(6) }, reopened.Memberships("a", "p2"));
        Assert.Equal(3, reopened.History("a", odd).Count);
        Assert.Equal(3, reopened.Cursor);

        reopened.Erase("a", odd);
        Assert.Empty(reopened.Memberships("a", odd));
        Assert.Empty(reopened.History("a", odd));
        Assert.Equal(["p2"], reopened.Members("a", "s1"));
        // The other app's person of the same id is another person.
        Assert.Equal(["s1"], reopened.Memberships("b", odd).Keys);
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=false"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT (SELECT count(*) FROM segment_member_persons WHERE app_id = 'a' AND person_id = $odd)
                     + (SELECT count(*) FROM segment_member_history WHERE app_id = 'a' AND person_id = $odd)
                     + (SELECT count(*) FROM sqlite_master WHERE name = 'segment_members_text')
                """;
            command.Parameters.AddWithValue("$odd", odd);
            Assert.Equal(0L, command.ExecuteScalar());
        }

        reopened.Dispose();
    }

    private static List<string> Indexes(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name LIKE 'segment%' AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name";
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read()) names.Add(reader.GetString(0));
        return names;
    }
}
