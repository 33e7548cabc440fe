using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lodestar.Core.Content;
using Lodestar.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Lodestar.Server.Tests.Leanplum;

/// <summary>
/// The official Leanplum JS SDK (npm <c>leanplum-sdk</c> 1.9.0, unmodified) under Node and jsdom, against the
/// real host listening on a real port: every callback must report success, every answer must be a success,
/// and what the SDK sent must read back through the users API.
/// </summary>
public sealed class LeanplumJsSdkTests
{
    [Fact]
    public async Task OfficialJsSdk_FullSession_SucceedsAndReadsBack()
    {
        int port = FreePort();
        using var baseFactory = new LodestarFactory(settings: new Dictionary<string, string?> { ["urls"] = $"http://127.0.0.1:{port}" });
        using var factory = baseFactory.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<IPersonContentSource, SampleContent>()));
        factory.UseKestrel(port);
        factory.StartServer();
        var app = await LeanplumGoldenTests.CreateAppAsync(factory);

        var output = await RunSdkAsync($"http://127.0.0.1:{port}", app);
        Assert.True(output["error"] is null, $"The SDK script failed: {output["error"]}");

        // Every callback the SDK offers reported success.
        var callbacks = output["callbacks"]!.AsObject();
        Assert.True(callbacks["start"]!.GetValue<bool>(), "start callback");
        Assert.True(callbacks["forceContentUpdate"]!.GetValue<bool>(), "forceContentUpdate callback");
        Assert.True(callbacks["inboxChanged"]!.GetValue<bool>(), "inbox onChanged");

        // Every request was answered 200 with one successful item per action, with CORS (or jsdom would have failed it).
        var requests = output["requests"]!.AsArray();
        var actions = new List<string>();
        foreach (var request in requests)
        {
            Assert.Equal(200, request!["status"]!.GetValue<int>());
            var sent = JsonNode.Parse(request["body"]!.GetValue<string>())!;
            var answer = JsonNode.Parse(request["response"]!.GetValue<string>())!["response"]!.AsArray();
            var items = sent["data"]?.AsArray() ?? [];
            Assert.Equal(Math.Max(items.Count, 1), answer.Count);
            Assert.All(answer, item => Assert.True(item!["success"]!.GetValue<bool>(), item.ToJsonString()));
            actions.AddRange(items.Select(i => i!["action"]!.GetValue<string>()));
        }

        foreach (string action in new[] { "start", "track", "setUserAttributes", "advance", "pauseState", "resumeState", "getVars",
                     "getNewsfeedMessages", "markNewsfeedMessageAsRead", "deleteNewsfeedMessage", "pauseSession", "resumeSession", "stop" })
            Assert.Contains(action, actions);

        // Content reached the SDK: the variable diff is merged over the code defaults; the inbox message arrived.
        var variables = output["variables"]!;
        Assert.Equal("Hello from Lodestar", variables["welcomeMessage"]!.GetValue<string>());
        Assert.Equal("blue", variables["color"]!.GetValue<string>());
        Assert.Equal(10, variables["config"]!["maxItems"]!.GetValue<int>());
        Assert.Equal(["6002##1"], output["inboxIds"]!.AsArray().Select(i => i!.GetValue<string>()));

        // Login merged the anonymous device history into the user.
        string deviceId = output["deviceId"]!.GetValue<string>();
        Assert.Equal("e2e-user", output["userId"]!.GetValue<string>());
        using var admin = factory.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new("Bearer", LodestarFactory.AdminToken);
        var profile = await (await admin.GetAsync($"/api/v1/apps/{app.Id}/users/e2e-user")).JsonAsync();
        Assert.Equal("e2e-user", profile.GetProperty("userId").GetString());
        Assert.Contains(deviceId, profile.GetProperty("anonymousIds").EnumerateArray().Select(i => i.GetString()));
        var attributes = profile.GetProperty("attributes");
        Assert.Equal("pro", attributes.GetProperty("plan").GetString());
        Assert.Equal(30, attributes.GetProperty("age").GetInt32());
        Assert.Equal("u@example.test", attributes.GetProperty("email").GetString());
        Assert.Equal(1, profile.GetProperty("sessions").GetInt32());
        Assert.True(profile.GetProperty("timeInAppSeconds").GetDouble() > 0);
        var device = profile.GetProperty("devices").EnumerateArray().Single();
        Assert.Equal(deviceId, device.GetProperty("id").GetString());
        Assert.Equal("web", device.GetProperty("type").GetString());
        Assert.Equal("2.0.1", device.GetProperty("appVersion").GetString());

        var byDevice = await (await admin.GetAsync($"/api/v1/apps/{app.Id}/users/{deviceId}")).JsonAsync();
        Assert.Equal(profile.GetProperty("personId").GetString(), byDevice.GetProperty("personId").GetString());

        var events = (await (await admin.GetAsync($"/api/v1/apps/{app.Id}/users/e2e-user/events?limit=100")).JsonAsync())
            .GetProperty("events").EnumerateArray().ToList();
        JsonElement Event(string name) => events.Single(e => e.GetProperty("name").GetString() == name);
        Assert.Equal(4.99, Event("Purchase Clicked").GetProperty("value").GetDouble());
        Assert.Equal("hat", Event("Purchase Clicked").GetProperty("properties").GetProperty("item").GetString());
        Assert.Equal(3, Event("Level Up").GetProperty("properties").GetProperty("level").GetInt32());
        Assert.Equal("some info string", Event("Info Event").GetProperty("properties").GetProperty("$info").GetString());
        Assert.Equal(9.99, Event("Purchase").GetProperty("value").GetDouble());
        Assert.Equal("USD", Event("Purchase").GetProperty("properties").GetProperty("$currencyCode").GetString());
        Assert.Equal("state", Event("Checkout").GetProperty("type").GetString());
        Assert.Equal(1, Event("Checkout").GetProperty("properties").GetProperty("step").GetInt32());
        Assert.Equal("track", Event("$start").GetProperty("type").GetString());
    }

    private static async Task<JsonNode> RunSdkAsync(string url, TestApp app)
    {
        string directory = NodeProjectDirectory();
        if (!Directory.Exists(Path.Combine(directory, "node_modules")))
        {
            var (code, stdout, stderr) = await RunAsync("npm", "ci --no-audit --no-fund", directory, []);
            Assert.True(code == 0, $"npm ci failed ({code}): {stdout}\n{stderr}");
        }

        var (exit, output, errors) = await RunAsync("node", "run-sdk.js", directory, new Dictionary<string, string>
        {
            ["LODESTAR_URL"] = url,
            ["LODESTAR_APP_ID"] = app.Id,
            ["LODESTAR_PRODUCTION_KEY"] = app.ProductionKey,
        });
        string? line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
        Assert.True(line is not null && line.StartsWith('{'), $"node exited {exit} without a result.\nstdout: {output}\nstderr: {errors}");
        var result = JsonNode.Parse(line)!;
        Assert.True(exit == 0, $"node exited {exit}: {result["error"]}\nstderr: {errors}");
        return result;
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string file, string arguments, string directory, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string NodeProjectDirectory([CallerFilePath] string source = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "..", "..", "e2e-node", "leanplum"));

    /// <summary>Stands in for campaigns: a variable diff and one inbox message for everyone.</summary>
    private sealed class SampleContent : IPersonContentSource
    {
        public ValueTask<PersonContent> ContentForAsync(PersonContentRequest request, CancellationToken cancellationToken = default) => ValueTask.FromResult(new PersonContent
        {
            Vars = new JsonObject { ["welcomeMessage"] = "Hello from Lodestar", ["config"] = new JsonObject { ["maxItems"] = 10 } },
            Variants = [new JsonObject { ["id"] = 5707559922384896 }],
            NewsfeedMessages = new JsonObject
            {
                ["6002##1"] = JsonNode.Parse("""
                    {"deliveryTimestamp":1700000000000,"isRead":false,"messageData":{"action":"Open URL","parentCampaignId":7002,
                     "vars":{"Title":"Inbox title","Subtitle":"Inbox subtitle","Image":"https://example.test/img.png","Data":{"k":"v"},
                             "Open action":{"__name__":"Open URL","URL":"https://example.test/inbox"}}}}
                    """),
            },
        });
    }
}
