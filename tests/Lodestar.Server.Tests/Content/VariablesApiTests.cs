using System.Net;
using System.Text.Json.Nodes;
using Lodestar.Server.Tests.Infrastructure;

namespace Lodestar.Server.Tests.Content;

/// <summary><c>/api/v1/apps/{appId}/variables</c> and the diff <c>start</c>/<c>getVars</c> answer with.</summary>
public sealed class VariablesApiTests : IDisposable
{
    private readonly LodestarFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    private static void AssertJson(string expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected}, got {actual?.ToJsonString()}");

    [Fact]
    public async Task Values_OverDefaultsFromSetVars_AreSentAsTheDiff()
    {
        var app = await _factory.CreateAppAsync();
        using var admin = _factory.CreateAdminClient();
        using var client = _factory.CreateClient();

        // The code's defaults arrive through setVars (development key), as the dev-mode SDK uploads them.
        var upload = await client.PostAsync($"/api?appId={app.Id}&client=js&clientKey={app.DevelopmentKey}&deviceId=dev&userId=dev&action=setVars&devMode=true",
            new StringContent("""{"vars":{"welcomeMessage":"Hello (default)","color":"blue","config":{"maxItems":5},"list":["a","b"]}}"""));
        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);

        var device = new LeanplumDevice(client, app, "d-1", "user-1");
        AssertJson("{}", (await device.StartAsync())["vars"]);

        var put = await admin.PutAsync($"/api/v1/apps/{app.Id}/variables",
            new StringContent("""{"values":{"welcomeMessage":"Hello (override)","config":{"maxItems":5},"list":{"[1]":"z"},"extra":{"on":true}}}"""));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var saved = JsonNode.Parse(await put.Content.ReadAsStringAsync())!;
        AssertJson("""{"welcomeMessage":"Hello (default)","color":"blue","config":{"maxItems":5},"list":["a","b"]}""", saved["defaults"]);
        AssertJson("""{"welcomeMessage":"Hello (override)","config":{"maxItems":5},"list":{"[1]":"z"},"extra":{"on":true}}""", saved["values"]);

        // Unchanged parts (config.maxItems = 5) are left out; the array element goes by index.
        const string Expected = """{"welcomeMessage":"Hello (override)","list":{"[1]":"z"},"extra":{"on":true}}""";
        AssertJson(Expected, (await device.GetVarsAsync())["vars"]);
        AssertJson(Expected, (await device.StartAsync())["vars"]);
        AssertJson("[]", (await device.GetVarsAsync())["variants"]);

        var get = JsonNode.Parse(await admin.GetStringAsync($"/api/v1/apps/{app.Id}/variables"))!;
        AssertJson(saved.ToJsonString(), get);
    }

    [Fact]
    public async Task Put_DefaultsThroughTheApi_AndBadInput_Is400NamingTheField()
    {
        var app = await _factory.CreateAppAsync();
        using var admin = _factory.CreateAdminClient();
        var ok = await admin.PutAsync($"/api/v1/apps/{app.Id}/variables", new StringContent("""{"defaults":{"a":1},"values":{"a":2}}"""));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using var client = _factory.CreateClient();
        AssertJson("""{"a":2}""", (await new LeanplumDevice(client, app, "d").StartAsync())["vars"]);

        var notObject = await admin.PutAsync($"/api/v1/apps/{app.Id}/variables", new StringContent("""{"values":[1,2]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, notObject.StatusCode);
        var problem = JsonNode.Parse(await notObject.Content.ReadAsStringAsync())!;
        Assert.Equal("values", problem["field"]!.GetValue<string>());
        Assert.Contains("values must be a JSON object", problem["detail"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PutAsync($"/api/v1/apps/{app.Id}/variables", new StringContent("{}"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PutAsync($"/api/v1/apps/{app.Id}/variables", new StringContent("{not json"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/v1/apps/nope/variables")).StatusCode);
        using var anonymous = _factory.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/v1/apps/{app.Id}/variables")).StatusCode);
    }
}
