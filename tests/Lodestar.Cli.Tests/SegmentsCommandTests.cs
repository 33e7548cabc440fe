using System.Globalization;
using System.Net;
using System.Text.Json;
using Lodestar.Server.Tests.Infrastructure;

namespace Lodestar.Cli.Tests;

/// <summary><c>lodestar segments list|preview|export</c> in-process against the real host on a loopback port.</summary>
[Collection("Console")]
public sealed class SegmentsCommandTests : CliTestHost
{
    [Fact]
    public async Task ListPreviewAndExport_ThroughTheCommandLine()
    {
        var app = await Factory.CreateAppAsync();
        string yesterday = DateTimeOffset.UtcNow.AddDays(-1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        using (var segment = Factory.CreateSegmentClient(app.WriteKey))
        {
            var sent = await segment.PostJsonAsync("/v1/batch", $$"""
                {"batch": [
                  {"type": "track", "userId": "buyer-1", "event": "Purchase", "timestamp": "{{yesterday}}"},
                  {"type": "track", "userId": "buyer-2", "event": "Purchase", "timestamp": "{{yesterday}}"},
                  {"type": "track", "userId": "browser", "event": "Open App", "timestamp": "{{yesterday}}"}
                ]}
                """);
            Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        }

        using var admin = Factory.CreateAdminClient();
        var created = await admin.PostJsonAsync($"/api/v1/apps/{app.Id}/segments", """{"name": "Buyers", "criteria": {"event": "Purchase", "within": "7d"}}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        string id = (await created.JsonAsync()).GetProperty("id").GetString()!;

        var (listExit, table, _) = await RunAsync("segments", "list", "--app", app.Id);
        Assert.Equal(0, listExit);
        Assert.Contains(id, table, StringComparison.Ordinal);
        Assert.Contains("Buyers", table, StringComparison.Ordinal);

        var (previewExit, preview, _) = await RunAsync("segments", "preview", "--app", app.Id, "--criteria", """{"event": "Purchase"}""", "--json");
        Assert.Equal(0, previewExit);
        var json = JsonDocument.Parse(preview).RootElement;
        Assert.Equal(2, json.GetProperty("persons").GetInt64());
        Assert.Equal(["buyer-1", "buyer-2"], json.GetProperty("sample").EnumerateArray().Select(s => s.GetString()).Order(StringComparer.Ordinal));

        string file = Path.Combine(Factory.DataDir, "members.csv");
        var (exportExit, _, exportError) = await RunAsync("segments", "export", "--app", app.Id, "--segment", id, "-o", file);
        Assert.Equal(0, exportExit);
        Assert.Contains("Wrote 2 members", exportError, StringComparison.Ordinal);
        var lines = await File.ReadAllLinesAsync(file);
        Assert.Equal("personId,userId", lines[0]);
        Assert.Equal(["buyer-1", "buyer-2"], lines.Skip(1).Select(l => l.Split(',')[1]).Order(StringComparer.Ordinal));

        var (badExit, _, badError) = await RunAsync("segments", "preview", "--app", app.Id, "--criteria", """{"event": "Purchase", "count": {"op": "gte", "value": -1}}""");
        Assert.Equal(1, badExit);
        Assert.Contains("criteria.count.value", badError, StringComparison.Ordinal);
    }
}
