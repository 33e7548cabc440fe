using System.Text.Json;
using Lodestar.Server.Tests.Infrastructure;

namespace Lodestar.Cli.Tests;

/// <summary><c>variables</c>, <c>ab-tests</c> and <c>inbox</c> in-process against the real host on a loopback port.</summary>
[Collection("Console")]
public sealed class ContentCommandTests : CliTestHost
{
    [Fact]
    public async Task VariablesAbTestsAndInbox_ThroughTheCli()
    {
        var app = await Factory.CreateAppAsync();

        var (setExit, set, setError) = await RunAsync("variables", "set", app.Id, "--defaults", """{"greeting":"Hello"}""", "--values", """{"greeting":"Hi"}""");
        Assert.True(setExit == 0, setError);
        Assert.Equal("Hi", JsonDocument.Parse(set).RootElement.GetProperty("values").GetProperty("greeting").GetString());
        var (_, got, _) = await RunAsync("variables", "get", app.Id);
        Assert.Equal("Hello", JsonDocument.Parse(got).RootElement.GetProperty("defaults").GetProperty("greeting").GetString());

        string definition = Path.Combine(Factory.DataDir, "test.json");
        await File.WriteAllTextAsync(definition, """
            {"name":"Greeting test","audience":{"segmentId":null,"trafficPercent":50},
             "variants":[{"name":"Control","weight":50,"values":{}},{"name":"B","weight":50,"values":{"greeting":"Hola"}}],"status":"running"}
            """);
        var (createExit, created, createError) = await RunAsync("ab-tests", "create", app.Id, definition);
        Assert.True(createExit == 0, createError);
        var test = JsonDocument.Parse(created).RootElement;
        string testId = test.GetProperty("id").GetString()!;
        long b = test.GetProperty("variants")[1].GetProperty("id").GetInt64();

        var (_, table, _) = await RunAsync("ab-tests", "list", app.Id);
        Assert.Contains("Greeting test", table);
        Assert.Contains("running", table);
        Assert.Contains("50%", table);

        var (_, paused, _) = await RunAsync("ab-tests", "pause", app.Id, testId);
        Assert.Contains(": paused", paused);
        var (finishExit, finished, finishError) = await RunAsync("ab-tests", "finish", app.Id, testId, "--winner", b.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(finishExit == 0, finishError);
        Assert.Contains($"variant {b} for everyone", finished);

        var (badExit, _, badError) = await RunAsync("ab-tests", "create", app.Id,
            """{"name":"bad","variants":[{"name":"Control","weight":50},{"name":"B","weight":40}]}""");
        Assert.Equal(1, badExit);
        Assert.Contains("variants: weights must sum to 100", badError);

        var (sendExit, sent, sendError) = await RunAsync("inbox", "send", app.Id, "--user", "nobody", "--title", "Hello", "--open-url", "https://example.test");
        Assert.True(sendExit == 0, sendError);
        Assert.Contains("0 recipients", sent);
        Assert.Contains("not delivered (no such user yet): nobody", sent);
        var (noTargetExit, _, noTarget) = await RunAsync("inbox", "send", app.Id, "--title", "Hello");
        Assert.Equal(1, noTargetExit);
        Assert.Contains("--user", noTarget);
    }
}
