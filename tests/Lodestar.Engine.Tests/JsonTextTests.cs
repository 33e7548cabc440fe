using System.Text;
using Lodestar.Engine.Ingestion;

namespace Lodestar.Engine.Tests;

public sealed class JsonTextTests
{
    [Theory]
    [InlineData("""{"a":"plain"}""", false)]
    [InlineData("""{"a":"\u00e9 \uD83D\uDE00"}""", false)]
    [InlineData("""{"a":"\\uD800 is just text"}""", false)]
    [InlineData("""{"a":"\uD800"}""", true)]
    [InlineData("""{"a":"\uDC00"}""", true)]
    [InlineData("""{"a":"\ud83d x"}""", true)]
    [InlineData("""{"a":"\uD83D\u0041"}""", true)]
    [InlineData("""{"\\\uD800":1}""", true)]
    public void LoneSurrogateEscapes_AreFound(string json, bool expected) =>
        Assert.Equal(expected, JsonText.HasLoneSurrogateEscape(Encoding.UTF8.GetBytes(json)));
}
