using Lodestar.Server.Tests.Infrastructure;

namespace Lodestar.Cli.Tests;

/// <summary>
/// A real host on a loopback port for one test class, and the <c>lodestar</c> command run in-process against it with
/// the console captured. Classes that use it join the "Console" collection, since the console is process-wide.
/// </summary>
public abstract class CliTestHost : IDisposable
{
    protected CliTestHost() => Url = Factory.StartOnLoopback();

    protected LodestarFactory Factory { get; } = new();

    protected string Url { get; }

    public void Dispose()
    {
        Factory.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Runs the command line with <c>--server</c> and <c>--token</c> appended; returns its exit code and output.</summary>
    protected async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var (oldOut, oldError) = (Console.Out, Console.Error);
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            int exit = await LodestarCli.RunAsync([.. args, "--server", Url, "--token", LodestarFactory.AdminToken]);
            return (exit, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldError);
        }
    }
}
