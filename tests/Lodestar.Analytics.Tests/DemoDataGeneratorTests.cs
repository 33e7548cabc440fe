using Lodestar.Analytics.Demo;

namespace Lodestar.Analytics.Tests;

public sealed class DemoDataGeneratorTests
{
    private static List<DemoEvent> All(int users, int seed) =>
        new DemoDataGenerator(users, 90, seed).Days().SelectMany(d => d.ToList()).ToList();

    [Fact]
    public void SameSeed_SameEvents_OtherSeed_OtherEvents()
    {
        var a = All(300, 7);
        Assert.Equal(a, All(300, 7));
        Assert.NotEqual(a.Select(e => e.Timestamp), All(300, 8).Select(e => e.Timestamp));
    }

    [Fact]
    public void History_HasTheShapeTheBenchmarksNeed()
    {
        var events = All(4000, 1);
        var tracks = events.Where(e => e.Type == "track").ToList();
        double perUser = tracks.Count / 4000.0;
        Assert.InRange(perUser, 35, 70);

        int started = tracks.Where(e => e.Name == "Signup Started").Select(e => e.AnonymousId).Distinct().Count();
        int completed = tracks.Where(e => e.Name == "Signup Completed").Select(e => e.UserId).Distinct().Count();
        Assert.InRange((double)completed / started, 0.4, 0.95); // drop-off in onboarding
        Assert.Contains(tracks, e => e.Name == "Purchase" && e.PropertiesJson!.Contains("\"EUR\"", StringComparison.Ordinal));
        // Second devices that log in later: identify calls from an "-2" anonymous id.
        Assert.Contains(events, e => e.Type == "identify" && e.AnonymousId!.EndsWith("-2", StringComparison.Ordinal));
        Assert.True(events.Zip(events.Skip(1)).Count(p => p.First.Timestamp.Date > p.Second.Timestamp.Date.AddDays(2)) == 0, "days come in order (within the spread of time zones)");
    }
}
