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
}
