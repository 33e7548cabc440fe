using System.CommandLine;
using Lodestar.Server.Hosting;
using Microsoft.Extensions.Hosting;

namespace Lodestar.Cli.Serve;

/// <summary><c>lodestar serve</c>: runs the server in this process (same as <c>dotnet run --project src/Lodestar.Server</c>).</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string?>("--urls") { Description = $"Where to listen (default {LodestarHost.DefaultUrl})." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Directory of the embedded stores (default ./data; env Lodestar__DataDir)." };
        var command = new Command("serve", "Run the Lodestar server.") { urls, dataDir };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var args = new List<string>(parse.UnmatchedTokens);
            if (parse.GetValue(urls) is { } u) args.AddRange(["--urls", u]);
            if (parse.GetValue(dataDir) is { } d) args.Add($"--Lodestar:DataDir={d}");
            var app = LodestarHost.Build([.. args]);
            await app.StartAsync(cancellationToken);
            await app.WaitForShutdownAsync(cancellationToken);
            return 0;
        });
        return command;
    }
}
