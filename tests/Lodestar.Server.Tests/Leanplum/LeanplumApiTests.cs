using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using Lodestar.Core.Content;
using Lodestar.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Lodestar.Server.Tests.Leanplum;

/// <summary>The /api transport (methods, body forms, gzip, CORS, limits) and the key-guarded actions.</summary>
public sealed class LeanplumApiTests : IDisposable
{
    private readonly LodestarFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    private static string Now => (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0).ToString("0.000", System.Globalization.CultureInfo.InvariantCulture);

    private static string Track(string user, string device, string name, string? reqId = null) =>
        $$"""{"action":"track","event":"{{name}}","value":1,"userId":"{{user}}","deviceId":"{{device}}","time":"{{Now}}"{{(reqId is null ? "" : $",\"reqId\":\"{reqId}\",\"uuid\":\"u-1\"")}}}""";

    private async Task<JsonElement> PostAsync(HttpClient client, string query, string body, string contentType = "text/plain")
    {
        var response = await client.PostAsync("/api?" + query, new StringContent(body, Encoding.UTF8, contentType));
        return await response.JsonAsync();
    }

    private static bool AllSucceeded(JsonElement answer) =>
        answer.GetProperty("response").EnumerateArray().All(i => i.GetProperty("success").GetBoolean());

    [Fact]
    public async Task Get_WithEverythingInTheQuery_Tracks()
    {
        var app = await _factory.CreateAppAsync();
        using var client = _factory.CreateClient();
        var response = await client.GetAsync($"/api?appId={app.Id}&clientKey={app.ProductionKey}&action=track&userId=g-user&event=From%20Get&value=2&params=%7B%22a%22%3A1%7D");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(AllSucceeded(await response.JsonAsync()));
        var events = await EventsAsync(app, "g-user");
        var e = Assert.Single(events, e => e.GetProperty("name").GetString() == "From Get");
        Assert.Equal(2, e.GetProperty("value").GetDouble());
        Assert.Equal(1, e.GetProperty("properties").GetProperty("a").GetInt32());
    }

    [Fact]
    public async Task MultipartForm_AndJsonBodyWithRealObjects_AreAccepted()
    {
        var app = await _factory.CreateAppAsync();
        using var client = _factory.CreateClient();
        using var multipart = new MultipartFormDataContent("0xKhTmLbOuNdArY")
        {
            { new StringContent(app.Id), "appId" },
            { new StringContent(app.ProductionKey), "clientKey" },
            { new StringContent("multi"), "action" },
            { new StringContent(Now), "time" },
            { new StringContent("{\"data\":[" + Track("m-user", "m-dev", "Multipart") + "]}"), "data" },
        };
        var answer = await (await client.PostAsync("/api", multipart)).JsonAsync();
        Assert.True(AllSucceeded(answer));

        // Server-side callers post real JSON objects (not JSON strings).
        string json = $$"""{"appId":"{{app.Id}}","clientKey":"{{app.ProductionKey}}","action":"setUserAttributes","userId":"m-user","userAttributes":{"tier":"gold"},"devMode":"false"}""";
        Assert.True(AllSucceeded(await PostAsync(client, "", json, "application/json")));
        var profile = await ProfileAsync(app, "m-user");
        Assert.Equal("gold", profile.GetProperty("attributes").GetProperty("tier").GetString());
    }

    [Fact]
    public async Task GzipRequestBody_IsDecompressed_AndAnswerIsGzipped()
    {
        var app = await _factory.CreateAppAsync();
        using var client = _factory.CreateClient();
        string body = "{\"data\":[" + Track("z-user", "z-dev", "Zipped") + "]}";
        using var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true)) await gzip.WriteAsync(Encoding.UTF8.GetBytes(body));
        var content = new ByteArrayContent(compressed.ToArray());
        content.Headers.ContentType = new("text/plain");
        content.Headers.ContentEncoding.Add("gzip");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api?appId={app.Id}&clientKey={app.ProductionKey}&action=multi&time={Now}") { Content = content };
        request.Headers.AcceptEncoding.ParseAdd("gzip");
        var response = await client.SendAsync(request);
        Assert.Equal("gzip", response.Content.Headers.ContentEncoding.Single());
        await using var unzip = new GZipStream(await response.Content.ReadAsStreamAsync(), CompressionMode.Decompress);
        var answer = await JsonSerializer.DeserializeAsync<JsonElement>(unzip);
        Assert.True(AllSucceeded(answer));
        Assert.Single(await EventsAsync(app, "z-user"), e => e.GetProperty("name").GetString() == "Zipped");
    }

    [Fact]
    public async Task Options_AndPreflight_AllowAnyOrigin()
    {
        using var client = _factory.CreateClient();
        var plain = await client.SendAsync(new HttpRequestMessage(HttpMethod.Options, "/api"));
        Assert.True(plain.IsSuccessStatusCode);
        Assert.Equal("*", plain.Headers.GetValues("Access-Control-Allow-Origin").Single());

        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/api?action=multi");
        preflight.Headers.Add("Origin", "http://app.example.test");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type");
        var answer = await client.SendAsync(preflight);
        Assert.True(answer.IsSuccessStatusCode);
        Assert.True(answer.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Resend_WithSameUuidAndReqId_IsStoredOnce()
    {
        var app = await _factory.CreateAppAsync();
        using var client = _factory.CreateClient();
        string body = "{\"data\":[" + Track("d-user", "d-dev", "Once", "req-1") + "," + Track("d-user", "d-dev", "Twice", "req-2") + "]}";
        string query = $"appId={app.Id}&clientKey={app.ProductionKey}&action=multi&time={Now}";
        var first = await PostAsync(client, query, body);
        var second = await PostAsync(client, query, body);
        Assert.True(AllSucceeded(first) && AllSucceeded(second));
        Assert.Equal(["req-1", "req-2"], second.GetProperty("response").EnumerateArray().Select(i => i.GetProperty("reqId").GetString()));
        var events = await EventsAsync(app, "d-user");
        Assert.Single(events, e => e.GetProperty("name").GetString() == "Once");
        Assert.Single(events, e => e.GetProperty("name").GetString() == "Twice");
    }

    [Fact]
    public async Task MoreThan500Actions_Or50Users_Is403WithLeanplumError()
    {
        var app = await _factory.CreateAppAsync();
        using var client = _factory.CreateClient();
        string query = $"appId={app.Id}&clientKey={app.ProductionKey}&action=multi&time={Now}";
        string actions = "{\"data\":[" + string.Join(',', Enumerable.Range(0, 501).Select(i => Track("u", "d", "E"))) + "]}";
        var tooMany = await client.PostAsync("/api?" + query, new StringContent(actions));
        Assert.Equal(HttpStatusCode.Forbidden, tooMany.StatusCode);
        var answer = await tooMany.JsonAsync();
        Assert.Equal(501, answer.GetProperty("response").GetArrayLength());
        Assert.Contains("at most 500", answer.GetProperty("response")[0].GetProperty("error").GetProperty("message").GetString());

        string users = "{\"data\":[" + string.Join(',', Enumerable.Range(0, 51).Select(i => Track("user" + i, "dev" + i, "E"))) + "]}";
        var tooManyUsers = await client.PostAsync("/api?" + query, new StringContent(users));
        Assert.Equal(HttpStatusCode.Forbidden, tooManyUsers.StatusCode);
    }

    [Fact]
    public async Task SetVars_WithDevelopmentKey_StoresDefaults()
    {
        var app = await _factory.CreateAppAsync();
        using var client = _factory.CreateClient();
        var answer = await PostAsync(client, $"appId={app.Id}&client=js&clientKey={app.DevelopmentKey}&deviceId=dv&userId=u&action=setVars&devMode=true&time={Now}",
            "{\"vars\":{\"color\":\"blue\",\"config\":{\"maxItems\":5}}}");
        Assert.True(AllSucceeded(answer));
        var stored = _factory.Services.GetRequiredService<IVariableDefaultsStore>().Find(app.Id);
        Assert.NotNull(stored);
        Assert.Equal("{\"color\":\"blue\",\"config\":{\"maxItems\":5}}", stored.VarsJson);
    }

    [Fact]
    public async Task ExportUser_NeedsExportKey_AndReturnsLeanplumShape()
    {
        var app = await _factory.CreateAppAsync();
        using var client = _factory.CreateClient();
        string start = $$"""{"action":"start","userId":"x-user","deviceId":"x-dev","client":"android","userAttributes":"{\"plan\":\"pro\"}","gcmRegistrationId":"fcm-1","time":"{{Now}}"}""";
        Assert.True(AllSucceeded(await PostAsync(client, $"appId={app.Id}&clientKey={app.ProductionKey}&action=multi&time={Now}",
            "{\"data\":[" + start + "," + Track("x-user", "x-dev", "Bought") + "," + Track("x-user", "x-dev", "Bought") + "]}")));

        var withProduction = await PostAsync(client, $"appId={app.Id}&clientKey={app.ProductionKey}&action=exportUser&userId=x-user", "");
        Assert.StartsWith("Invalid access key", withProduction.GetProperty("response")[0].GetProperty("error").GetProperty("message").GetString());

        var export = (await PostAsync(client, $"appId={app.Id}&clientKey={app.ExportKey}&action=exportUser&userId=x-user", "")).GetProperty("response")[0];
        Assert.True(export.GetProperty("success").GetBoolean());
        Assert.Equal("x-user", export.GetProperty("userId").GetString());
        Assert.Equal("pro", export.GetProperty("userAttributes").GetProperty("plan").GetString());
        Assert.Equal(2, export.GetProperty("events").GetProperty("Bought").GetProperty("count").GetInt32());
        Assert.Equal(2, export.GetProperty("events").GetProperty("Bought").GetProperty("value").GetDouble());
        Assert.Equal(1, export.GetProperty("totalSessions").GetInt32());
        Assert.Equal("fcm-1", export.GetProperty("devices")[0].GetProperty("gcmRegistrationId").GetString());
    }

    [Fact]
    public async Task ExportData_JsonAndCsv_ByDateRange()
    {
        var app = await _factory.CreateAppAsync();
        using var client = _factory.CreateClient();
        Assert.True(AllSucceeded(await PostAsync(client, $"appId={app.Id}&clientKey={app.ProductionKey}&action=multi&time={Now}",
            "{\"data\":[" + Track("e-user", "e-dev", "Exported") + "]}")));
        string today = DateTime.UtcNow.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);

        var json = await client.GetAsync($"/api?appId={app.Id}&clientKey={app.ExportKey}&action=exportData&startDate={today}&exportFormat=json");
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        string lines = await json.Content.ReadAsStringAsync();
        Assert.Contains("\"Exported\"", lines);

        var csv = await client.GetAsync($"/api?appId={app.Id}&clientKey={app.ExportKey}&action=exportData&startDate={today}&endDate={today}&exportFormat=csv");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Exported", await csv.Content.ReadAsStringAsync());

        var earlier = await client.GetAsync($"/api?appId={app.Id}&clientKey={app.ExportKey}&action=exportData&startDate=20200101&endDate=20200102");
        Assert.DoesNotContain("Exported", await earlier.Content.ReadAsStringAsync());

        var withoutDate = await client.GetAsync($"/api?appId={app.Id}&clientKey={app.ExportKey}&action=exportData");
        Assert.Equal(HttpStatusCode.BadRequest, withoutDate.StatusCode);
    }

    [Fact]
    public async Task DeleteUser_NeedsDevelopmentKey_AndErasesPersonEventsAndIds()
    {
        var app = await _factory.CreateAppAsync();
        using var client = _factory.CreateClient();
        string query = $"appId={app.Id}&clientKey={app.ProductionKey}&action=multi&time={Now}";
        Assert.True(AllSucceeded(await PostAsync(client, query, "{\"data\":[" + Track("del-user", "del-dev", "Before") + "]}")));
        Assert.Single(await EventsAsync(app, "del-user"));

        var denied = await PostAsync(client, $"appId={app.Id}&clientKey={app.ProductionKey}&action=deleteUser&userId=del-user", "");
        Assert.False(denied.GetProperty("response")[0].GetProperty("success").GetBoolean());

        var deleted = await PostAsync(client, $"appId={app.Id}&clientKey={app.DevelopmentKey}&action=deleteUser&userId=del-user", "");
        Assert.True(AllSucceeded(deleted));
        using var admin = _factory.CreateAdminClient();
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/v1/apps/{app.Id}/users/del-user")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/v1/apps/{app.Id}/users/del-dev")).StatusCode);

        // The same ids come back as a new person with only new events.
        Assert.True(AllSucceeded(await PostAsync(client, query, "{\"data\":[" + Track("del-user", "del-dev", "After") + "]}")));
        var events = await EventsAsync(app, "del-user");
        Assert.Equal(["After"], events.Select(e => e.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task OpenApiDocument_DescribesTheLeanplumEndpoint()
    {
        using var client = _factory.CreateClient();
        string document = await client.GetStringAsync("/openapi/v1.json");
        Assert.Contains("\"/api\"", document);
        Assert.Contains("\"LeanplumApi\"", document);
    }

    private async Task<List<JsonElement>> EventsAsync(TestApp app, string userId)
    {
        using var admin = _factory.CreateAdminClient();
        var response = await admin.GetAsync($"/api/v1/apps/{app.Id}/users/{userId}/events");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await response.JsonAsync()).GetProperty("events").EnumerateArray()];
    }

    private async Task<JsonElement> ProfileAsync(TestApp app, string userId)
    {
        using var admin = _factory.CreateAdminClient();
        return await (await admin.GetAsync($"/api/v1/apps/{app.Id}/users/{userId}")).JsonAsync();
    }
}
