using Lodestar.Core.Segments;
using Lodestar.Server.Tests.Infrastructure;
using Lodestar.Storage.Sqlite;

namespace Lodestar.Server.Tests.Segments;

/// <summary>
/// The membership store's commits (many rows per statement) against an in-memory model applying the same changes one
/// by one: random commits of up to 300 changes over few keys, so chunks of 64 rows are crossed and one commit often
/// enters and leaves the same membership.
/// </summary>
public sealed class SqliteSegmentMembershipStoreTests : IDisposable
{
    private readonly string _dir = LodestarFactory.NewDataDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

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
            for (int i = random.Next(0, 300); i > 0; i--)
            {
                var change = new SegmentMembershipChange(apps[random.Next(2)], $"s{random.Next(6)}", $"p{random.Next(30)}", random.Next(2) == 0, at.AddTicks(i));
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
}
