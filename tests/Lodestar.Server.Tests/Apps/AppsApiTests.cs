using System.Net;
using System.Net.Http.Json;
using Lodestar.Server.Tests.Infrastructure;

namespace Lodestar.Server.Tests.Apps;

public sealed class AppsApiTests : IDisposable
{
    // Its own data directory (not the factory's): a test restarts the host on it after disposing the factory.
    private readonly LodestarFactory _factory = new(LodestarFactory.NewDataDir());

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task CreateApp_Returns201WithAllFourKeys()
    {
        using var admin = _factory.CreateAdminClient();
        var response = await admin.PostAsJsonAsync("/api/v1/apps", new { name = "Shop" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var json = await response.JsonAsync();
        Assert.Equal("Shop", json.GetProperty("name").GetString());
        Assert.StartsWith("app_", json.GetProperty("id").GetString());
        var keys = json.GetProperty("keys");
        var values = new[] { "production", "development", "export", "segmentWriteKey" }.Select(k => keys.GetProperty(k).GetString()).ToList();
        Assert.All(values, v => Assert.False(string.IsNullOrEmpty(v)));
        Assert.Equal(4, values.Distinct().Count());
        Assert.Equal($"/api/v1/apps/{json.GetProperty("id").GetString()}", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task ManagementApi_WithoutOrWithWrongToken_Is401Problem()
    {
        using var anonymous = _factory.CreateClient();
        var response = await anonymous.GetAsync("/api/v1/apps");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);

        anonymous.DefaultRequestHeaders.Authorization = new("Bearer", "wrong");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/apps")).StatusCode);
    }

    [Fact]
    public async Task CreateApp_WithoutName_Is400NamingTheField()
    {
        using var admin = _factory.CreateAdminClient();
        var response = await admin.PostJsonAsync("/api/v1/apps", "{}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("name", (await response.JsonAsync()).GetProperty("detail").GetString());

        var malformed = await admin.PostJsonAsync("/api/v1/apps", "{\"name\": ");
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
    }

    [Fact]
    public async Task ListAndGet_ReturnCreatedApps_AndUnknownIs404()
    {
        var first = await _factory.CreateAppAsync("One");
        var second = await _factory.CreateAppAsync("Two");
        using var admin = _factory.CreateAdminClient();
        var list = await (await admin.GetAsync("/api/v1/apps")).JsonAsync();
        var ids = list.GetProperty("apps").EnumerateArray().Select(a => a.GetProperty("id").GetString()).ToList();
        Assert.Equal([first.Id, second.Id], ids);

        var one = await (await admin.GetAsync($"/api/v1/apps/{second.Id}")).JsonAsync();
        Assert.Equal("Two", one.GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/v1/apps/app_nope")).StatusCode);
    }

    [Fact]
    public async Task RotateKeys_OldWriteKeyStopsWorking_NewOneWorks()
    {
        var app = await _factory.CreateAppAsync();
        using var admin = _factory.CreateAdminClient();
        var rotated = await (await admin.PostJsonAsync($"/api/v1/apps/{app.Id}/keys/rotate", "{\"kinds\":[\"segmentWriteKey\"]}")).JsonAsync();
        string newKey = rotated.GetProperty("keys").GetProperty("segmentWriteKey").GetString()!;
        Assert.NotEqual(app.WriteKey, newKey);
        Assert.Equal(app.ProductionKey, rotated.GetProperty("keys").GetProperty("production").GetString());

        const string track = "{\"userId\":\"u\",\"event\":\"E\"}";
        using var old = _factory.CreateSegmentClient(app.WriteKey);
        Assert.Equal(HttpStatusCode.Unauthorized, (await old.PostJsonAsync("/v1/track", track)).StatusCode);
        using var fresh = _factory.CreateSegmentClient(newKey);
        Assert.Equal(HttpStatusCode.OK, (await fresh.PostJsonAsync("/v1/track", track)).StatusCode);

        var all = await (await admin.PostAsync($"/api/v1/apps/{app.Id}/keys/rotate", null)).JsonAsync();
        Assert.NotEqual(app.ProductionKey, all.GetProperty("keys").GetProperty("production").GetString());
    }

    [Fact]
    public async Task AppsAndAdminToken_SurviveRestart()
    {
        var app = await _factory.CreateAppAsync("Durable");
        _factory.Dispose();
        using var restarted = new LodestarFactory(_factory.DataDir);
        using var admin = restarted.CreateAdminClient();
        var json = await (await admin.GetAsync($"/api/v1/apps/{app.Id}")).JsonAsync();
        Assert.Equal(app.WriteKey, json.GetProperty("keys").GetProperty("segmentWriteKey").GetString());
    }

    [Fact]
    public async Task Health_Is200()
    {
        using var client = _factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task OpenApiDocument_ListsTheEndpoints()
    {
        using var client = _factory.CreateClient();
        string document = await client.GetStringAsync("/openapi/v1.json");
        foreach (string path in new[] { "/api/v1/apps", "/api/v1/apps/{appId}/keys/rotate", "/v1/track", "/v1/batch", "/api/v1/apps/{appId}/users/{userId}/events" })
            Assert.Contains($"\"{path}\"", document);
    }
}
