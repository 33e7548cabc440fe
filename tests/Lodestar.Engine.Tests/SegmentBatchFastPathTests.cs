using System.Text;
using System.Text.Json;
using Lodestar.Core.Events;
using Lodestar.Engine.Ingestion;
using Lodestar.Engine.Ingestion.Segment;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Lodestar.Engine.Tests;

/// <summary>
/// The one-pass batch reader against the full parser on a document (the reference): whenever the fast path answers,
/// its events must be exactly the ones the full parser accepts, and the full parser must reject none.
/// </summary>
public sealed class SegmentBatchFastPathTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 9, 0, 0, TimeSpan.Zero);
    private readonly EventValidator _validator = new(Options.Create(new IngestionOptions { MaxProperties = 5, MaxNameLength = 20, MaxMessageBytes = 2048 }), new FakeTimeProvider(Now));

    private const string Context = """{"os":{"name":"iOS","version":"17.4"},"device":{"id":"dev-1","model":"iPhone15,2"},"locale":"en-US"}""";

    public static TheoryData<string> FastMessages() =>
    [
        $$"""{"type":"track","messageId":"m1","userId":"u1","event":"Order Completed","timestamp":"2026-11-29T08:59:00.000Z","properties":{"sku":"a","price":9.99,"value":12.5},"context":{{Context}}}""",
        """{"type":"track","anonymousId":"a1","event":"Search","properties":{"revenue":"7.25","q":"shoes"}}""",
        """{"type":"track","userId":"u1","event":"Viewed","properties":{"value":"not a number","revenue":3}}""",
        """{"type":"track","userId":"u1","event":"Viewed","properties":{"value":true}}""",
        """{"type":"track","userId":"u1","event":"Viewed","properties":{}}""",
        """{"type":"track","userId":"u1","event":"Viewed","properties":null,"context":null,"messageId":null}""",
        """{"type":"track","userId":"","anonymousId":"a2","messageId":"","event":"Viewed"}""",
        """{"type":"track","userId":"u\u00e9\n\"x","event":"Caf\u00e9 \uD83D\uDE00","properties":{"nested":{"a":[1,2,{"b":null}]},"t\u0041g":"\u00e9"}}""",
        """{"type":"track","userId":"u1","event":"Viewed","timestamp":"2026-11-29T08:00:00Z","sentAt":"2026-11-29T08:30:00Z"}""",
        """{"type":"track","userId":"u1","event":"Viewed","originalTimestamp":"2026-11-29T08:00:00.123Z"}""",
        """{"type":"track","userId":"u1","event":"Viewed","unknown":{"deep":[1,{"x":"y"}]},"integrations":{"All":true},"version":2}""",
        """{"type":"page","userId":"u1","name":"Home","properties":{"path":"/"}}""",
        """{"type":"page","userId":"u1"}""",
        """{"type":"screen","anonymousId":"a1","name":"","properties":{"value":4}}""",
        """{"type":"identify","userId":"u1","traits":{"email":"a@b.c","plan":"pro"},"context":{"ip":"1.2.3.4"}}""",
        """{"type":"identify","userId":"u1","traits":{},"properties":{"ignored":1}}""",
        """{"type":"track","userId":"u1","event":"Viewed","properties":{"value":1e3}}""",
        """  {  "type" : "track" , "userId" : "u1" , "event" : "Spaced"  }  """,
    ];

    public static TheoryData<string> SlowMessages() =>
    [
        """{"type":"alias","userId":"u1","previousId":"a1"}""",
        """{"type":"group","userId":"u1","groupId":"g1","traits":{"name":"Acme"}}""",
        """{"type":"identify","userId":"u1","context":{"traits":{"email":"a@b.c"}}}""",
        """{"type":"identify","userId":"u1"}""",
        """{"type":"track","userId":42,"event":"Viewed"}""",
        """{"type":"track","messageId":7,"userId":"u1","event":"Viewed"}""",
        """{"type":"track","userId":"u1","event":"Viewed","timestamp":"2026-11-29T08:00:00+01:00"}""",
        """{"type":"track","userId":"u1","event":"Viewed","timestamp":"yesterday"}""",
        """{"type":"track","userId":"u1","event":"Viewed","timestamp":"1990-01-01T00:00:00Z"}""",
        """{"type":"track","userId":"u1","event":"Viewed","timestamp":"2026-12-30T00:00:00Z"}""",
        """{"type":"track","userId":"u1","event":"Viewed","timestamp":1700000000}""",
        """{"type":"track","userId":"u1","event":""}""",
        """{"type":"track","userId":"u1"}""",
        """{"type":"track","event":"No ids"}""",
        """{"type":"track","userId":"u1","event":"Viewed","properties":"not an object"}""",
        """{"type":"track","userId":"u1","event":"Viewed","context":[1]}""",
        """{"type":"track","userId":"u1","event":"Viewed","properties":{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6}}""",
        """{"type":"track","userId":"u1","event":"Viewed","properties":{"":1}}""",
        """{"type":"track","userId":"u1","event":"Viewed","properties":{"a_name_longer_than_twenty":1}}""",
        """{"type":"track","userId":"u1","event":"Viewed","properties":{"value":1,"value":2}}""",
        """{"type":"track","userId":"u1","event":"Viewed","properties":{"value":1e400}}""",
        """{"type":"track","userId":"u1","event":"Viewed","properties":{"value":"Infinity"}}""",
        """{"type":"track","userId":"u1","userId":"u2","event":"Viewed"}""",
        """{"type":"track","userId":"u1","event":"Bad \uD800 half"}""",
        """{"type":"track","userId":"u1","event":"Viewed","properties":{"x":"\uDC00"}}""",
        """{"type":"launch","userId":"u1"}""",
        """{"userId":"u1","event":"Viewed"}""",
        """{"type":"page","userId":"u1","name":5}""",
        """{"type":"track","userId":"u1","event":"Viewed","properties":{"big":"PAD"}}""",
        """[1,2]""",
        """ "text" """,
    ];

    [Theory]
    [MemberData(nameof(FastMessages))]
    public void PlainMessages_TakeTheFastPath_AndMatchTheFullParser(string message)
    {
        string body = Batch(message, message.Replace("\"u1\"", "\"u9\"", StringComparison.Ordinal));
        var fast = SegmentBatchFastPath.TryRead(Encoding.UTF8.GetBytes(body), _validator, Now, out string? key);
        Assert.NotNull(fast);
        var (accepted, rejected) = Reference(body);
        Assert.Empty(rejected);
        Assert.Equal(accepted, fast);
        Assert.Equal(2, fast.Count);
        Assert.Null(key);
    }

    [Theory]
    [MemberData(nameof(SlowMessages))]
    public void UnusualOrWrongMessages_AreLeftToTheFullParser(string message)
    {
        message = message.Replace("PAD", new string('x', 3000), StringComparison.Ordinal);
        string body = Batch("""{"type":"track","userId":"u1","event":"Fine"}""", message);
        Assert.Null(SegmentBatchFastPath.TryRead(Encoding.UTF8.GetBytes(body), _validator, Now, out _));
    }

    [Theory]
    [InlineData("""{"batch":[{"type":"track","userId":"u1","event":"E"}],"context":{"ip":"1.2.3.4"}}""")]
    [InlineData("""{"batch":{"type":"track"}}""")]
    [InlineData("""{"sentAt":"2026-11-29T09:00:00Z"}""")]
    [InlineData("""{"batch":[{"type":"track","userId":"u1","event":"E"}],"sentAt":"soon"}""")]
    [InlineData("""{"batch":[{"type":"track","userId":"u1","event":"E"}]} trailing""")]
    [InlineData("""{"batch":[{"type":"track","userId":"u1","event":"E"}]""")]
    [InlineData("""{"batch":[{"type":"track","userId":"u1","event":"E"},]}""")]
    [InlineData("""{"batch":[{"type":"track","userId":"u1","event":"E"}],"batch":[]}""")]
    [InlineData("""{"batch":[7]}""")]
    [InlineData("""[]""")]
    [InlineData("")]
    public void UnusualBodies_AreLeftToTheFullParser(string body) =>
        Assert.Null(SegmentBatchFastPath.TryRead(Encoding.UTF8.GetBytes(body), _validator, Now, out _));

    [Fact]
    public void InvalidUtf8_IsLeftToTheFullParser()
    {
        byte[] body = Encoding.UTF8.GetBytes(Batch("""{"type":"track","userId":"u1","event":"E?","context":{"x":"?"}}"""));
        body[Array.LastIndexOf(body, (byte)'?')] = 0xC3; // a lead byte with no continuation, inside the context
        Assert.Null(SegmentBatchFastPath.TryRead(body, _validator, Now, out _));
    }

    [Fact]
    public void BatchSentAt_AfterTheMessages_CorrectsTheirClocks_AndTheWriteKeyIsRead()
    {
        string body = """
            {"batch":[{"type":"track","userId":"u1","event":"E","timestamp":"2026-11-29T10:00:00.000Z"}],
             "context":null,"writeKey":"wk-1","sentAt":"2026-11-29T10:30:00.000Z"}
            """;
        var fast = SegmentBatchFastPath.TryRead(Encoding.UTF8.GetBytes(body), _validator, Now, out string? key);
        Assert.NotNull(fast);
        Assert.Equal("wk-1", key);
        // Sent 30 minutes after it happened by the client's clock: received now, it happened 30 minutes ago.
        Assert.Equal(Now.AddMinutes(-30), Assert.Single(fast).Timestamp);
        Assert.Equal(Reference(body).Accepted, fast);
    }

    [Fact]
    public void LargeBatchesOfSmallMessages_MatchTheFullParser_InOrder()
    {
        // Messages far under the 256 bytes the reader sizes its buffer by: the pooled buffer has to grow several times,
        // and a buffer given back with a longer batch's fields in it must not leak them into a shorter one.
        foreach (int count in new[] { 3000, 7, 1500 })
        {
            string body = Batch([.. Enumerable.Range(0, count).Select(i => $$"""{"type":"track","userId":"u{{i}}","event":"E{{i % 3}}"}""")]);
            var fast = SegmentBatchFastPath.TryRead(Encoding.UTF8.GetBytes(body), _validator, Now, out _);
            Assert.NotNull(fast);
            Assert.Equal(count, fast.Count);
            Assert.Equal("u" + (count - 1), fast[^1].UserId);
            Assert.Equal(Reference(body).Accepted, fast);
        }
    }

    [Fact]
    public void RepeatedBatchArray_IsLeftToTheFullParser()
    {
        string body = """{"batch":[{"type":"track","userId":"u1","event":"E"}],"batch":[{"type":"track","userId":"u2","event":"E"}]}""";
        Assert.Null(SegmentBatchFastPath.TryRead(Encoding.UTF8.GetBytes(body), _validator, Now, out _));
    }

    [Fact]
    public void RandomBatches_MatchTheFullParser()
    {
        var random = new Random(20261129);
        int fastTaken = 0;
        for (int round = 0; round < 2000; round++)
        {
            var messages = Enumerable.Range(0, random.Next(1, 4)).Select(_ => RandomMessage(random)).ToArray();
            string body = random.Next(4) == 0
                ? $$"""{"sentAt":"2026-11-29T08:{{random.Next(10, 60)}}:00.000Z","batch":[{{string.Join(',', messages)}}]}"""
                : Batch(messages);
            var fast = SegmentBatchFastPath.TryRead(Encoding.UTF8.GetBytes(body), _validator, Now, out _);
            if (fast is null) continue;
            fastTaken++;
            var (accepted, rejected) = Reference(body);
            Assert.True(rejected.Count == 0, body);
            Assert.True(accepted.SequenceEqual(fast), body);
        }

        // The generator mostly makes good messages: the comparison must have covered many of them.
        Assert.True(fastTaken > 200, $"only {fastTaken} batches took the fast path");
    }

    private static string Batch(params string[] messages) => $$"""{"batch":[{{string.Join(',', messages)}}]}""";

    private static string RandomMessage(Random random)
    {
        // The first option (a good value) half the time, so that whole batches are often good.
        string Pick(params string[] options) => options[random.Next(2) == 0 ? 0 : random.Next(options.Length)];
        var fields = new List<string>
        {
            $$"""
            "type":{{Pick("\"track\"", "\"track\"", "\"page\"", "\"screen\"", "\"identify\"", "\"alias\"", "null", "\"x\"")}}
            """,
        };
        if (random.Next(5) > 0) fields.Add($$"""
            "userId":{{Pick("\"u1\"", "\"user-\\u00e92\"", "\"\"", "null", "12")}}
            """);
        if (random.Next(3) == 0) fields.Add($$"""
            "anonymousId":{{Pick("\"a1\"", "\"\"", "null")}}
            """);
        if (random.Next(4) > 0) fields.Add($$"""
            "messageId":{{Pick($"\"m{random.Next(1000)}\"", "\"\"", "null")}}
            """);
        if (random.Next(5) > 0) fields.Add($$"""
            "event":{{Pick("\"Viewed\"", "\"\"", "\"Caf\\u00e9\"", "null", "3")}}
            """);
        if (random.Next(3) == 0) fields.Add($$"""
            "name":{{Pick("\"Home\"", "\"\"", "null")}}
            """);
        if (random.Next(3) > 0) fields.Add($$"""
            "properties":{{Pick("{}", "{\"value\":5}", "{\"revenue\":\"2.5\",\"a\":[1,{\"b\":2}]}", "{\"value\":\"x\",\"revenue\":1}", "null", "{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6}", "[]")}}
            """);
        if (random.Next(3) == 0) fields.Add($$"""
            "traits":{{Pick("{\"plan\":\"pro\"}", "{}", "null", "{\"value\":1}")}}
            """);
        if (random.Next(2) == 0) fields.Add($$"""
            "context":{{Pick(Context, "{}", "null", "{\"ip\":\"1.2.3.4\",\"traits\":{\"x\":1}}")}}
            """);
        if (random.Next(2) == 0) fields.Add($$"""
            "timestamp":{{Pick("\"2026-11-29T08:00:00.000Z\"", "\"2026-11-29T08:00:00Z\"", "null", "\"2026-11-29T08:00:00+02:00\"", "\"2026-11-29\"")}}
            """);
        if (random.Next(4) == 0) fields.Add($$"""
            "originalTimestamp":{{Pick("\"2026-11-29T07:00:00.000Z\"", "null")}}
            """);
        if (random.Next(4) == 0) fields.Add($$"""
            "sentAt":{{Pick("\"2026-11-29T08:05:00.000Z\"", "null")}}
            """);
        if (random.Next(4) == 0) fields.Add("\"extra\":{\"k\":[true,false,null]}");
        fields = [.. fields.OrderBy(_ => random.Next())];
        return "{" + string.Join(',', fields) + "}";
    }

    /// <summary>What the full parser makes of a batch body (as the endpoint runs it).</summary>
    private (List<IncomingEvent> Accepted, List<string> Rejected) Reference(string body)
    {
        var parser = new SegmentMessageParser(_validator);
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        var sentAt = SegmentMessageParser.Timestamp(root, "sentAt", "");
        string? shared = root.TryGetProperty("context", out var context) && context.ValueKind == JsonValueKind.Object ? context.GetRawText() : null;
        var accepted = new List<IncomingEvent>();
        var rejected = new List<string>();
        int index = 0;
        foreach (var message in root.GetProperty("batch").EnumerateArray())
        {
            var parsed = parser.Parse(message, null, Now, sentAt, $"batch[{index++}].");
            if (parsed.Event is { } e) accepted.Add(e.ContextJson is null && shared is not null ? e with { ContextJson = shared } : e);
            else rejected.Add(parsed.Error!);
        }

        return (accepted, rejected);
    }
}
