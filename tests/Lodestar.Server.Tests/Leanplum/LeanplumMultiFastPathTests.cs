using System.Text;
using Lodestar.Core.Events;
using Lodestar.Engine.Ingestion;
using Lodestar.Engine.Ingestion.Leanplum;
using Lodestar.Server.Leanplum;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Lodestar.Server.Tests.Leanplum;

/// <summary>
/// The one-pass <c>multi</c> reader against the full path (the reference: <see cref="LeanplumRequestReader"/>,
/// <see cref="LeanplumArgs"/>, <see cref="LeanplumEventMapper.Map"/>): whenever the fast path answers, every item
/// must map without error in the full path, to exactly the same events, request ids, devMode and user count.
/// </summary>
public sealed class LeanplumMultiFastPathTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 9, 0, 0, TimeSpan.Zero);
    private const string Ip = "10.1.2.3";
    private readonly LeanplumEventMapper _mapper = new(new EventValidator(
        Options.Create(new IngestionOptions { MaxProperties = 5, MaxNameLength = 30, MaxMessageBytes = 4096 }), new FakeTimeProvider(Now)));

    private const string Outer = "appId=app1&clientKey=key1&client=android&sdkVersion=7.8.0&action=multi&time=1795910400.5";

    private static string NativeBody(string outer, string data) => outer + "&data=" + Uri.EscapeDataString(data);

    public static TheoryData<string, string> FastCalls() => new()
    {
        // Native: everything in the form, data the JSON text of {"data":[…]}.
        { "", NativeBody(Outer, """{"data":[{"event":"Product Viewed","value":"12","params":"{\"sku\":\"sku-1\"}","sdkVersion":"7.8.0","deviceId":"dev-1","userId":"user-1","action":"track","devMode":"false","time":"1795910399.25","reqId":"b1-0","uuid":"b1"},{"event":"Search","params":"{\"q\":\"café\",\"n\":1.50,\"ok\":true,\"none\":null}","deviceId":"dev-1","userId":"dev-1","action":"track","time":"1.7959104E9","reqId":"b1-1","uuid":"b1"}]}""") },
        // JS: query parameters, a JSON body, params as text, values as numbers and booleans.
        { "appId=app1&client=js&clientKey=key1&sdkVersion=1.9.0&action=multi&time=1795910400.000", """{"data":[{"event":"Order Completed","value":25.5,"params":"{\"sku\":\"sku-7\",\"category\":\"shoes\"}","appId":"app1","client":"js","clientKey":"key1","sdkVersion":"1.9.0","deviceId":"dev-2","userId":"user-2","action":"track","versionName":"2.0.1","devMode":false,"time":"1795910390.125"}]}""" },
        // A bare array body; ids inherited from the call; no time anywhere.
        { "appId=app1&clientKey=key1&action=multi&deviceId=dev-3", """[{"action":"track","event":"E \u00e9 \uD83D\uDE00"},{"action":"track","event":"F","value":"","params":"{}"}]""" },
        // Lower-case escapes, as some encoders write them.
        { "", NativeBody(Outer, """[{"action":"track","event":"Caf\u00e9 au lait","deviceId":"d1"}]""").Replace("%5C", "%5c", StringComparison.Ordinal) },
        // Form values with '+' for spaces and an escaped key-free data array.
        { "", "appId=app1&clientKey=key1&action=multi&client=ios&versionName=1.0+beta&data=" + Uri.EscapeDataString("""[{"action":"track","event":"Tap","userId":"u-9","devMode":"0","value":3}]""") },
        // Several devices in one call, devMode true (the handler decides whether the key allows it).
        { "", NativeBody(Outer + "&devMode=true", """[{"action":"track","event":"A","deviceId":"d1"},{"action":"track","event":"B","deviceId":"d2","userId":"u2"},{"action":"track","event":"C","deviceId":"d1","versionName":"9"}]""") },
    };

    public static TheoryData<string, string> SlowCalls() => new()
    {
        { "", NativeBody(Outer, """[{"action":"start","deviceId":"d1"}]""") },
        { "", NativeBody(Outer, """[{"action":"track","event":"E","deviceId":"d1","info":"x"}]""") },
        { "", NativeBody(Outer, """[{"action":"track","event":"E","deviceId":"d1","messageId":"m1"}]""") },
        { "", NativeBody(Outer, """[{"action":"track","event":"E","deviceId":"d1","locale":"en_US"}]""") },
        { "", NativeBody(Outer, """[{"action":"track","event":"","deviceId":"d1"}]""") },
        { "", NativeBody(Outer, """[{"action":"track","event":"E"}]""") },
        { "", NativeBody(Outer, """[{"action":"track","event":"E","deviceId":""}]""") },
        { "", NativeBody(Outer, """[{"action":"track","event":"E","deviceId":42}]""") },
        { "", NativeBody(Outer, """[{"action":"track","event":"E","deviceId":"d1","params":{"a":1}}]""") },
        { "", NativeBody(Outer, """[{"action":"track","event":"E","deviceId":"d1","params":"{\"a\":{\"b\":1}}"}]""") },
        { "", NativeBody(Outer, """[{"action":"track","event":"E","deviceId":"d1","params":"{\"a\\\\u00e9\":1}"}]""") },
        { "", NativeBody(Outer, """[{"action":"track","event":"E","deviceId":"d1","value":"abc"}]""") },
        { "", NativeBody(Outer, """[{"action":"track","event":"E","deviceId":"d1","time":null}]""") },
        { "", NativeBody(Outer, """[{"action":"track","event":"E","deviceId":"d1","event":"F"}]""") },
        { "", NativeBody(Outer, """[{"action":"track","event":"E","deviceId":"d1"},5]""") },
        { "", NativeBody(Outer, """{"data":[{"action":"track","event":"E","deviceId":"d1"}],"more":1}""") },
        { "", NativeBody(Outer, """[{"action":"track","event":"E","deviceId":"d1"}] x""") },
        { "", NativeBody(Outer, "[]") },
        { "", NativeBody(Outer + "&locale=en", """[{"action":"track","event":"E","deviceId":"d1"}]""") },
        { "", NativeBody(Outer.Replace("action=multi", "action=track", StringComparison.Ordinal), """[{"action":"track","event":"E","deviceId":"d1"}]""") },
        { "", NativeBody(Outer, """[{"action":"track","event":"E","deviceId":"d1"}]""") + "&data=x" },
        { "", Outer + "&data=%ZZ" },
        { "", NativeBody(Outer, """[{"action":"track","event":"E","deviceId":"d1"}]""") + "%2" },
        { "", NativeBody(Outer, """[{"action":"track","event":"E","deviceId":"d1"}]""").Replace("%22", "%C3%28", StringComparison.Ordinal) },
        { "appId=app1&appId=app2&clientKey=key1&action=multi", """[{"action":"track","event":"E","deviceId":"d1"}]""" },
        { "", NativeBody(Outer.Replace("time=1795910400.5", "time=soon", StringComparison.Ordinal), """[{"action":"track","event":"E","deviceId":"d1"}]""") },
    };

    [Theory]
    [MemberData(nameof(FastCalls))]
    public void PlainCall_IsReadInOnePass_AsTheFullPathReadsIt(string query, string body) =>
        Assert.True(Compare(query, body), "the fast path should answer for this call");

    [Theory]
    [MemberData(nameof(SlowCalls))]
    public void OtherCalls_AreLeftToTheFullPath(string query, string body) =>
        Assert.Null(LeanplumMultiFastPath.TryRead(QueryOf(query), Encoding.UTF8.GetBytes(body)));

    [Fact]
    public void RandomCalls_FastPathAgreesWithTheFullPath()
    {
        var random = new Random(20261129);
        int answered = 0;
        for (int n = 0; n < 2000; n++)
        {
            var (query, body) = RandomCall(random);
            if (Compare(query, body)) answered++;
        }

        // The generator mostly makes plain calls: the fast path must take most of them, and be right whenever it does.
        Assert.InRange(answered, 900, 2000);
    }

    /// <summary>True when the fast path answered (and agreed); false when it left the call to the full path.</summary>
    private bool Compare(string query, string body)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(body);
        var plain = LeanplumMultiFastPath.TryRead(QueryOf(query), bytes);
        if (plain is null) return false;
        var fast = _mapper.MapPlain(plain, Now, Ip);
        if (fast is null) return false;

        var context = new DefaultHttpContext();
        context.Request.QueryString = new QueryString(query.Length == 0 ? "" : "?" + query);
        var (args, document, error) = LeanplumRequestReader.Parse(context.Request, bytes, 1 << 20);
        using (document)
        {
            Assert.Null(error);
            Assert.Equal(LeanplumActions.Multi, args.String(LeanplumParams.Action));
            Assert.Equal(args.String(LeanplumParams.AppId), plain.AppId);
            Assert.Equal(args.String(LeanplumParams.ClientKey), plain.ClientKey);
            double? batchTime = args.Number(LeanplumParams.Time);
            Assert.Equal(batchTime, plain.BatchTime);
            var items = args.MultiItems();
            Assert.Equal(items.Count, fast.Count);
            var users = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < items.Count; i++)
            {
                var item = Assert.IsType<LeanplumArgs>(items[i]);
                Assert.Equal(LeanplumActions.Track, item.Required(LeanplumParams.Action));
                Assert.Equal(item.String(LeanplumParams.RequestId), plain.Items[i].RequestId);
                Assert.Equal(item.Bool(LeanplumParams.DevMode), plain.Items[i].DevMode);
                if ((item.String(LeanplumParams.UserId) ?? item.String(LeanplumParams.DeviceId)) is { Length: > 0 } user) users.Add(user);
                var reference = _mapper.Map(LeanplumActions.Track, item, Now, batchTime, Ip);
                Assert.Equal(reference.Events, fast[i].Events);
                Assert.Equal(reference.Activity, fast[i].Activity);
                Assert.Equal(reference.DeviceId, fast[i].DeviceId);
                Assert.Equal(reference.UserId, fast[i].UserId);
            }

            Assert.Equal(users.Count, plain.DistinctUsers());
        }

        return true;
    }

    private static List<KeyValuePair<string, string>> QueryOf(string query)
    {
        var context = new DefaultHttpContext();
        context.Request.QueryString = new QueryString(query.Length == 0 ? "" : "?" + query);
        return LeanplumRequestReader.QueryParameters(context.Request) is { } parameters ? [.. parameters] : [new("appId", "repeated"), new("appId", "twice")];
    }

    private static readonly string[] Names = ["Product Viewed", "Search", "caf\u00e9", "E \uD83D\uDE00", "x,y", ".dot", "", "A\"B", new string('n', 150), "tab\t"];
    private static readonly string[] Ids = ["dev-1", "dev-2", "user-1", "d \u00e9", "", "a+b&c=d%"];
    private static readonly string[] Numbers = ["12", "1.5", "1.461783515473E9", "", "abc", "1e400", "-0", "  3"];
    private static readonly string[] Times = ["1795910399.25", "1.7959104E9", "1795910400.5", "", "12", "abc", "1e400", "-5"];
    private static readonly string[] Params = ["{\"sku\":\"sku-1\"}", "{}", "{\"a\":1,\"b\":true,\"c\":null,\"d\":\"caf\u00e9\"}", "{\"a\":{\"b\":1}}", "{\"a,b\":1}", "null", "", "{\"x\":1} y", "{\"q\":\"\\\"quoted\\\"\"}"];

    private static (string Query, string Body) RandomCall(Random random)
    {
        bool native = random.Next(2) == 0;
        // Half the calls only use values the fast path should take; the other half anything.
        bool noisy = random.Next(2) == 0;
        string Any(string[] values, int valid) => values[random.Next(noisy ? values.Length : valid)];
        string? outerDevice = random.Next(6) == 0 ? Any(Ids, 4) : null;
        string? outerTime = random.Next(5) == 0 ? null : random.Next(8) == 0 ? Any(Times, 4) : "1795910400.5";
        string? outerDevMode = random.Next(8) == 0 ? Any(["true", "false", "0", "maybe", ""], 3) : null;
        var outer = new List<string> { "appId=app1", "clientKey=key1", "action=multi" };
        if (random.Next(2) == 0) outer.Add("client=" + Pick(random, ["android", "ios", "js", "other"]));
        if (random.Next(2) == 0) outer.Add("sdkVersion=7.8.0");
        if (outerTime is not null) outer.Add("time=" + Uri.EscapeDataString(outerTime));
        if (outerDevice is not null) outer.Add("deviceId=" + Uri.EscapeDataString(outerDevice));
        if (outerDevMode is not null) outer.Add("devMode=" + outerDevMode);

        int count = random.Next(1, 8);
        var items = new List<string>();
        string device = Pick(random, ["dev-1", "dev-2"]);
        for (int i = 0; i < count; i++)
        {
            var fields = new List<string> { "\"action\":" + Json(noisy && random.Next(30) == 0 ? "start" : "track") };
            fields.Add("\"event\":" + Json(random.Next(4) == 0 ? Any(Names, 4) : "Product Viewed"));
            if (random.Next(2) == 0) fields.Add("\"value\":" + (random.Next(2) == 0 ? Json(Any(Numbers, 4)) : Any(["3", "2.5", "1e2", "true"], 3)));
            if (random.Next(2) == 0) fields.Add("\"params\":" + (noisy && random.Next(15) == 0 ? "{\"a\":1}" : Json(Any(Params, 3))));
            if (outerDevice is null || random.Next(3) == 0) fields.Add("\"deviceId\":" + (noisy && random.Next(25) == 0 ? "7" : Json(random.Next(6) == 0 ? Any(Ids, 4) : device)));
            if (random.Next(2) == 0) fields.Add("\"userId\":" + Json(random.Next(3) == 0 ? device : Any(Ids, 4)));
            if (random.Next(3) == 0) fields.Add("\"time\":" + (random.Next(2) == 0 ? Json(Any(Times, 4)) : "1795910399.125"));
            if (random.Next(3) == 0) fields.Add("\"devMode\":" + Any(["false", "true", "\"false\"", "\"1\"", "\"no\"", "0"], 4));
            if (random.Next(3) == 0) fields.Add("\"versionName\":" + Json(Pick(random, ["1.0", "2.0 \u00e9"])));
            if (random.Next(2) == 0) fields.Add($"\"reqId\":\"b-{i}\"");
            if (random.Next(2) == 0) fields.Add("\"uuid\":" + Json(Pick(random, ["b", ""])));
            if (noisy && random.Next(40) == 0) fields.Add("\"info\":\"x\"");
            if (noisy && random.Next(40) == 0) fields.Add("\"time\":\"1\"");
            Shuffle(random, fields);
            items.Add("{" + string.Join(',', fields) + "}");
        }

        string list = "[" + string.Join(',', items) + "]";
        if (native)
        {
            string data = random.Next(2) == 0 ? "{\"data\":" + list + "}" : list;
            return ("", string.Join('&', outer) + "&data=" + Uri.EscapeDataString(data));
        }

        return (string.Join('&', outer), random.Next(2) == 0 ? "{\"data\":" + list + "}" : list);
    }

    // As the SDKs write JSON (JSON.stringify, org.json): quotes as \", other text as it is.
    private static readonly System.Text.Json.JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Json(string text) => System.Text.Json.JsonSerializer.Serialize(text, Relaxed);

    private static string Pick(Random random, string[] values) => values[random.Next(values.Length)];

    private static void Shuffle(Random random, List<string> values)
    {
        for (int i = values.Count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }
}
