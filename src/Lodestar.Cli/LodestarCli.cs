using System.CommandLine;
using Lodestar.Cli.Apps;
using Lodestar.Cli.Http;
using Lodestar.Cli.Serve;
using Lodestar.Cli.Transfer;

namespace Lodestar.Cli;

/// <summary>The <c>lodestar</c> command tree.</summary>
public static class LodestarCli
{
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand("lodestar — behavioral analytics and journey optimisation, self-hosted.");
        root.Options.Add(ServerOptions.Server);
        root.Options.Add(ServerOptions.Token);
        root.Options.Add(ServerOptions.Json);
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(AppsCommand.Create());
        root.Subcommands.Add(ImportCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(Query.QueryCommand.Create());
        root.Subcommands.Add(Demo.DemoCommand.Create());
        root.Subcommands.Add(Segments.SegmentsCommand.Create());
        return root;
    }

    /// <summary>Runs a command line; a <see cref="CliException"/> is printed to standard error with exit code 1.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            return await CreateRoot().Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (CliException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            return 1;
        }
        catch (Query.CommandFailedException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            return 1;
        }
    }
}
