using System.Text;
using Lodestar.Engine.Ingestion;

namespace Lodestar.Engine.Tests;

public sealed class RepeatedTextCacheTests
{
    [Fact]
    public void SameText_IsOneInstance_OtherTextsAreTheirOwn()
    {
        var cache = new RepeatedTextCache(maxBytes: 10_000, maxTextBytes: 100);
        string first = cache.Get("""{"os":"iOS","é":"\u00e9"}"""u8);
        string again = cache.Get(Encoding.UTF8.GetBytes("""{"os":"iOS","é":"\u00e9"}"""));
        string other = cache.Get("""{"os":"Android"}"""u8);
        Assert.Equal("""{"os":"iOS","é":"\u00e9"}""", first);
        Assert.Same(first, again);
        Assert.Equal("""{"os":"Android"}""", other);
        Assert.NotSame(first, other);
    }

    [Fact]
    public void AsciiTexts_AreSharedToo_AndCompareByTheirWholeText()
    {
        // ASCII texts keep no copy of their bytes: the cached string itself is what a new request's bytes are compared with.
        var cache = new RepeatedTextCache(maxBytes: 10_000, maxTextBytes: 100);
        string first = cache.Get(Encoding.UTF8.GetBytes("""{"device":{"id":"dev-1"}}"""));
        Assert.Same(first, cache.Get(Encoding.UTF8.GetBytes("""{"device":{"id":"dev-1"}}""")));
        string other = cache.Get(Encoding.UTF8.GetBytes("""{"device":{"id":"dev-2"}}"""));
        Assert.Equal("""{"device":{"id":"dev-2"}}""", other);
        Assert.NotSame(first, other);
        Assert.Equal("""{"device":{"id":"dév-1"}}""", cache.Get(Encoding.UTF8.GetBytes("""{"device":{"id":"dév-1"}}""")));
    }

    [Fact]
    public void LongTexts_AreDecodedEachTime_AndAFullCacheStartsOver()
    {
        var cache = new RepeatedTextCache(maxBytes: 2 * 99, maxTextBytes: 8);
        string longText = "0123456789";
        Assert.NotSame(cache.Get(Encoding.UTF8.GetBytes(longText)), cache.Get(Encoding.UTF8.GetBytes(longText)));
        Assert.Equal(longText, cache.Get(Encoding.UTF8.GetBytes(longText)));

        string a = cache.Get("a"u8);
        cache.Get("b"u8);
        cache.Get("c"u8); // the third distinct text would pass the budget (99 bytes each): the cache starts over with it
        string aAgain = cache.Get("a"u8);
        Assert.Equal(a, aAgain);
        Assert.NotSame(a, aAgain);
        Assert.Same(aAgain, cache.Get("a"u8));
    }
}
