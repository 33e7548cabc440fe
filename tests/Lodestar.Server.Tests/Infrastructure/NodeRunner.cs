using System.Collections.Concurrent;
using System.Diagnostics;

namespace Lodestar.Server.Tests.Infrastructure;

/// <summary>Runs a Node script from tests/e2e-node, installing its locked npm dependencies first when missing.</summary>
public static class NodeRunner
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> InstallLocks = new();

    public static string ProjectDirectory(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Lodestar.slnx"))) dir = dir.Parent;
        return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("Lodestar.slnx not found above the test binaries."), "tests", "e2e-node", name);
    }

    public static async Task<string> RunAsync(string project, string script, IDictionary<string, string> environment, TimeSpan timeout)
    {
        string dir = ProjectDirectory(project);
        var installLock = InstallLocks.GetOrAdd(dir, _ => new SemaphoreSlim(1));
        await installLock.WaitAsync();
        try
        {
            if (!Directory.Exists(Path.Combine(dir, "node_modules")))
            {
                var (code, output, error) = await ExecAsync("npm", "ci --no-audit --no-fund", dir, new Dictionary<string, string>(), TimeSpan.FromMinutes(5));
                if (code != 0) throw new InvalidOperationException($"npm ci failed in {dir}:\n{output}\n{error}");
            }
        }
        finally
        {
            installLock.Release();
        }

        var (exit, stdout, stderr) = await ExecAsync("node", script, dir, environment, timeout);
        if (exit != 0) throw new InvalidOperationException($"node {script} exited with {exit}:\n{stdout}\n{stderr}");
        return stdout;
    }

    private static async Task<(int Code, string Output, string Error)> ExecAsync(
        string file, string arguments, string directory, IDictionary<string, string> environment, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment) info.Environment[key] = value;
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {arguments} did not finish within {timeout}.");
        }

        return (process.ExitCode, await output, await error);
    }
}
