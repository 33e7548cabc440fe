using System.Diagnostics;
using System.Net.Http.Headers;

namespace Lodestar.Server.Tests.Infrastructure;

/// <summary>The real server as a separate OS process (so a test can SIGKILL it), on a loopback port.</summary>
public sealed class ServerProcess : IDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, string url)
    {
        _process = process;
        Url = url;
    }

    public string Url { get; }

    public static async Task<ServerProcess> StartAsync(string dataDir, IDictionary<string, string>? environment = null)
    {
        int port = LodestarFactory.FreePort();
        string url = $"http://127.0.0.1:{port}";
        string serverDll = Path.Combine(AppContext.BaseDirectory, "Lodestar.Server.dll");
        var info = new ProcessStartInfo("dotnet", $"\"{serverDll}\" --urls {url}")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["Lodestar__DataDir"] = dataDir;
        info.Environment["Lodestar__AdminToken"] = LodestarFactory.AdminToken;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the server process.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var server = new ServerProcess(process, url);
        using var client = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"The server exited with {process.ExitCode} before it was healthy.");
            try
            {
                if ((await client.GetAsync("/health")).IsSuccessStatusCode) return server;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        server.Dispose();
        throw new TimeoutException("The server did not answer /health within 60 s.");
    }

    public HttpClient CreateAdminClient()
    {
        var client = new HttpClient { BaseAddress = new Uri(Url) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", LodestarFactory.AdminToken);
        return client;
    }

    /// <summary>SIGKILL: no shutdown hooks, no flush.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
