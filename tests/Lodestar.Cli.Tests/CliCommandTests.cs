using System.Text.Json;
using Lodestar.Server.Tests.Infrastructure;

namespace Lodestar.Cli.Tests;

/// <summary>The command tree in-process against the real host on a loopback port.</summary>
[Collection("Console")]
public sealed class CliCommandTests : CliTestHost
{
    [Fact]
    public async Task AppsCreateAndList_ShowTheAppAndKeys()
    {
        var (exit, output, _) = await RunAsync("apps", "create", "From CLI", "--json");
        Assert.Equal(0, exit);
        var app = JsonDocument.Parse(output).RootElement;
        Assert.Equal("From CLI", app.GetProperty("name").GetString());

        var (listExit, table, _) = await RunAsync("apps", "list");
        Assert.Equal(0, listExit);
        Assert.Contains(app.GetProperty("id").GetString()!, table);
        Assert.Contains(app.GetProperty("keys").GetProperty("segmentWriteKey").GetString()!, table);
    }

    [Fact]
    public async Task WrongToken_PrintsTheServersReason_ExitCode1()
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var (oldOut, oldError) = (Console.Out, Console.Error);
        Console.SetOut(output);
        Console.SetError(error);
        int exit;
        try
        {
            exit = await LodestarCli.RunAsync(["apps", "list", "--server", Url, "--token", "nope"]);
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldError);
        }

        Assert.Equal(1, exit);
        Assert.Contains("admin token is not valid", error.ToString());
    }

    [Fact]
    public async Task Import_ValidatesLikeLiveTraffic_ThenExportReturnsTheEvents()
    {
        var app = await Factory.CreateAppAsync();
        string file = Path.Combine(Factory.DataDir, "import.jsonl");
        await File.WriteAllLinesAsync(file,
        [
            """{"type":"track","userId":"imp","event":"Signup","timestamp":"2026-01-02T03:04:05Z","messageId":"i-1"}""",
            "not json at all",
            """{"type":"track","event":"No ids"}""",
            """{"type":"track","userId":"imp","event":"Purchase","timestamp":"2026-01-03T00:00:00Z","properties":{"revenue":5}}""",
            """{"type":"track","userId":"imp","event":"Signup","timestamp":"2026-01-02T03:04:05Z","messageId":"i-1"}""",
        ]);
        var (exit, output, error) = await RunAsync("import", "--app", app.Id, file);
        Assert.Equal(2, exit);
        Assert.Contains("2 stored, 1 duplicates skipped, 2 rejected, of 5 lines", output);
        Assert.Contains("line 2: not a JSON object", error);
        Assert.Contains("line 3: userId or anonymousId is required", error);

        var (csvExit, csv, _) = await RunAsync("export", "--app", app.Id, "--format", "csv", "--from", "2026-01-02T00:00:00Z", "--to", "2026-01-03T00:00:00Z");
        Assert.Equal(0, csvExit);
        var rows = csv.Trim().Split('\n');
        Assert.Equal(2, rows.Length); // header + Signup; Purchase is at the exclusive end
        Assert.Contains("Signup", rows[1]);

        string parquet = Path.Combine(Factory.DataDir, "out.parquet");
        var (parquetExit, _, _) = await RunAsync("export", "--app", app.Id, "--format", "parquet", "--output", parquet);
        Assert.Equal(0, parquetExit);
        var bytes = await File.ReadAllBytesAsync(parquet);
        Assert.Equal("PAR1"u8.ToArray(), bytes[..4]);
        Assert.Equal("PAR1"u8.ToArray(), bytes[^4..]);
    }
}
