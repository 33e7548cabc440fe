using System.Net;
using System.Text;
using System.Text.Json;
using Lodestar.Server.Tests.Infrastructure;

namespace Lodestar.Server.Tests.Leanplum;

public sealed class LeanplumBadTextTests : IDisposable
{
    private readonly LodestarFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task LoneSurrogateEscapes_FailTheirItemOnly_NeighboursAreStored()
    {
        var app = await _factory.CreateAppAsync();
        using var client = _factory.CreateClient();
        const string item = "\"deviceId\":\"lp-bad-text\",\"userId\":\"lp-bad-text\",\"time\":\"1795910362.5\"";
        string body = "{\"data\":[" +
                      "{\"action\":\"track\",\"event\":\"Fine 1\"," + item + "}," +
                      "{\"action\":\"track\",\"event\":\"Bad\\ud800\"," + item + "}," +
                      "{\"action\":\"track\",\"event\":\"Bad params\",\"params\":\"{\\\"x\\\":\\\"\\\\udc00\\\"}\"," + item + "}," +
                      "{\"action\":\"track\",\"event\":\"Fine 2\"," + item + "}]}";
        var response = await client.PostAsync(
            $"/api?appId={app.Id}&clientKey={app.ProductionKey}&client=js&sdkVersion=1.9.0&action=multi&time=1795910362.5",
            new StringContent(body, Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var items = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("response").EnumerateArray().ToList();
        Assert.Equal([true, false, false, true], items.Select(i => i.GetProperty("success").GetBoolean()));
        Assert.Contains("event", items[1].GetProperty("error").GetProperty("message").GetString());
        Assert.Contains("params", items[2].GetProperty("error").GetProperty("message").GetString());

        using var admin = _factory.CreateAdminClient();
        var events = await (await admin.GetAsync($"/api/v1/apps/{app.Id}/users/lp-bad-text/events")).JsonAsync();
        var names = events.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("name").GetString()).Where(n => n!.StartsWith("Fine", StringComparison.Ordinal)).Order().ToList();
        Assert.Equal(["Fine 1", "Fine 2"], names);
        // The export (DuckDB's JSON functions over the stored text) still works.
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/v1/apps/{app.Id}/export/events")).StatusCode);
    }
}
