using System.Text.Json;
using Lodestar.Server.Tests.Infrastructure;

namespace Lodestar.Cli.Tests;

/// <summary><c>lodestar messages …</c> in-process against the real host on a loopback port.</summary>
[Collection("Console")]
public sealed class MessagesCommandTests : CliTestHost
{
    [Fact]
    public async Task CreateListPauseStats_AndAnUnknownVerbIsRefusedNamingTheField()
    {
        var app = await Factory.CreateAppAsync();
        string file = Path.Combine(Factory.DataDir, "message.json");
        await File.WriteAllTextAsync(file, """
            {"name":"From CLI","action":"Alert","vars":{"Message":"Hello {{ userAttribute.name }}"},
             "whenTriggers":{"children":[{"subject":"state","noun":"Checkout","verb":"triggers"}]}}
            """);
        var (exit, output, error) = await RunAsync("messages", "create", app.Id, "--file", file, "--json");
        Assert.True(exit == 0, error);
        long id = JsonDocument.Parse(output).RootElement.GetProperty("id").GetInt64();

        var (listExit, table, _) = await RunAsync("messages", "list", app.Id);
        Assert.Equal(0, listExit);
        Assert.Contains("From CLI", table, StringComparison.Ordinal);
        Assert.Contains("active", table, StringComparison.Ordinal);

        var (pauseExit, paused, _) = await RunAsync("messages", "pause", app.Id, id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json");
        Assert.Equal(0, pauseExit);
        Assert.Equal("paused", JsonDocument.Parse(paused).RootElement.GetProperty("status").GetString());
        var (_, activeOnly, _) = await RunAsync("messages", "list", app.Id, "--status", "active", "--json");
        Assert.Empty(JsonDocument.Parse(activeOnly).RootElement.EnumerateArray());

        var (statsExit, stats, _) = await RunAsync("messages", "stats", app.Id, id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(0, statsExit);
        Assert.Contains("impressions", stats, StringComparison.Ordinal);

        await File.WriteAllTextAsync(file, """
            {"name":"Bad","action":"Alert","vars":{"Message":"m"},"whenTriggers":{"children":[{"subject":"event","noun":"E","verb":"occurs"}]}}
            """);
        var (badExit, _, badError) = await RunAsync("messages", "create", app.Id, "--file", file);
        Assert.Equal(1, badExit);
        Assert.Contains("whenTriggers.children[0].verb", badError, StringComparison.Ordinal);
    }
}
