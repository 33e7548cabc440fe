using Lodestar.Engine.Ingestion;

namespace Lodestar.Engine.Tests;

public sealed class DeduplicationWindowTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Key_DependsOnAppAndMessageId()
    {
        Assert.Equal(DeduplicationWindow.Key("a", "m"), DeduplicationWindow.Key("a", "m"));
        Assert.NotEqual(DeduplicationWindow.Key("a", "m"), DeduplicationWindow.Key("b", "m"));
        // The separator keeps ("ab","c") and ("a","bc") apart.
        Assert.NotEqual(DeduplicationWindow.Key("ab", "c"), DeduplicationWindow.Key("a", "bc"));
    }

    [Fact]
    public void Ids_AreRememberedForTheWindow_ThenForgotten()
    {
        var window = new DeduplicationWindow(TimeSpan.FromHours(8));
        var early = DeduplicationWindow.Key("a", "early");
        var late = DeduplicationWindow.Key("a", "late");
        window.Add(early, T0);
        window.Add(late, T0.AddHours(6));
        window.Expire(T0.AddHours(8));
        Assert.True(window.Contains(early));
        Assert.True(window.Contains(late));

        // The early id's generation (one hour long) ended more than 8 hours ago.
        window.Expire(T0.AddHours(9).AddMinutes(1));
        Assert.False(window.Contains(early));
        Assert.True(window.Contains(late));
    }

    [Fact]
    public void TheCap_ForgetsTheOldestIdsFirst_AndKeepsMemoryWithinIt()
    {
        var window = new DeduplicationWindow(TimeSpan.FromDays(7), maxIds: 800);
        var keys = Enumerable.Range(0, 5_000).Select(i => DeduplicationWindow.Key("a", "m" + i)).ToList();
        for (int i = 0; i < keys.Count; i++)
        {
            window.Add(keys[i], T0.AddSeconds(i));
            Assert.InRange(window.Count, 0, 800);
        }

        // Generations of 100 ids: the last 700 to 800 ids are remembered, none older.
        Assert.InRange(window.Count, 700, 800);
        Assert.All(keys[^700..], k => Assert.True(window.Contains(k)));
        Assert.All(keys[..4_200], k => Assert.False(window.Contains(k)));
        // The oldest id kept was received in the second of its generation's start.
        Assert.Equal(T0.AddSeconds(5_000 - window.Count), window.ShortenedSince);
    }

    [Fact]
    public void WithoutACap_OrBelowIt_TheWindowIsWhole()
    {
        foreach (long cap in new long[] { 0, 100_000 })
        {
            var window = new DeduplicationWindow(TimeSpan.FromDays(7), cap);
            var keys = Enumerable.Range(0, 20_000).Select(i => DeduplicationWindow.Key("a", "m" + i)).ToList();
            foreach (var key in keys) window.Add(key, T0);
            Assert.Equal(20_000, window.Count);
            Assert.All(keys, k => Assert.True(window.Contains(k)));
            Assert.Null(window.ShortenedSince);
        }
    }
}
