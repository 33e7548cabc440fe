using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Lodestar.Benchmarks.Ingestion;

/// <summary>The Release server as its own process on a fresh data directory, with its memory readable from /proc.</summary>
public sealed class ServerUnderTest : IDisposable
{
    public const string Token = "bench-admin-token";

    private readonly Process _process;
    private bool _disposed;

    private ServerUnderTest(Process process, string url, string dataDir)
    {
        _process = process;
        Url = url;
        DataDir = dataDir;
    }

    public string Url { get; }

    public string DataDir { get; }

    public static async Task<ServerUnderTest> StartAsync(string serverDll, int port, IReadOnlyDictionary<string, string>? environment = null)
    {
        string dataDir = Directory.CreateTempSubdirectory("lodestar-bench-").FullName;
        string url = $"http://127.0.0.1:{port}";
        var info = new ProcessStartInfo("dotnet", $"\"{serverDll}\" --urls {url}") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment["Lodestar__DataDir"] = dataDir;
        info.Environment["Lodestar__AdminToken"] = Token;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("server: " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        for (int i = 0; i < 600; i++)
        {
            try
            {
                if ((await http.GetAsync("/health")).IsSuccessStatusCode) return new ServerUnderTest(process, url, dataDir);
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        process.Kill(true);
        throw new TimeoutException("The server did not start.");
    }

    public async Task<JsonElement> CreateAppAsync()
    {
        using var http = new HttpClient { BaseAddress = new Uri(Url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        var response = await http.PostAsJsonAsync("/api/v1/apps", new { name = "bench" });
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Peak resident memory (VmHWM) of the server process, in MB.</summary>
    public double PeakMemoryMb() => StatusKb("VmHWM") / 1024.0;

    /// <summary>
    /// CPU time the server process has used so far (user + system, from /proc): per event, a figure far steadier
    /// than events/s on a machine other work shares.
    /// </summary>
    public TimeSpan CpuTime()
    {
        string stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // Fields 14 and 15 of stat (utime, stime), counted after the command name, in clock ticks of 1/100 s.
        long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromMilliseconds(ticks * 10);
    }

    private long StatusKb(string field)
    {
        foreach (string line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }

        return 0;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_process.HasExited) _process.Kill(true);
        _process.WaitForExit();
        _process.Dispose();
        try
        {
            Directory.Delete(DataDir, true);
        }
        catch (IOException)
        {
        }
    }
}
