using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Lodestar.Server.Tests.Infrastructure;

/// <summary>
/// The real host on a temporary data directory (real DuckDB and SQLite files). Disposing it and creating
/// another on the same directory is a restart.
/// </summary>
public sealed class LodestarFactory : WebApplicationFactory<Program>
{
    public const string AdminToken = "test-admin-token";

    // Data directories outlive one factory (a second factory on the same directory is a restart), so they are
    // removed when the test process exits rather than when a factory is disposed.
    private static readonly ConcurrentBag<string> CreatedDataDirs = CreateCleanup();

    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;
    private readonly bool _ownsDataDir;

    /// <param name="services">Replaces services after the host registered its own (a fake clock, for one).</param>
    public LodestarFactory(string? dataDir = null, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        _services = services;
        _ownsDataDir = dataDir is null;
        DataDir = dataDir ?? NewDataDir();
        _settings = new Dictionary<string, string?>
        {
            ["Lodestar:DataDir"] = DataDir,
            ["Lodestar:AdminToken"] = AdminToken,
        };
        if (settings is not null)
        {
            foreach (var (key, value) in settings) _settings[key] = value;
        }
    }

    public string DataDir { get; }

    /// <summary>Stops the host; a data directory the factory made itself goes with it (one a test passed in may be reopened).</summary>
    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_ownsDataDir) DeleteDataDir(DataDir);
        GC.SuppressFinalize(this);
    }

    public static string NewDataDir()
    {
        string dir = Directory.CreateTempSubdirectory("lodestar-test-").FullName;
        CreatedDataDirs.Add(dir);
        return dir;
    }

    private static ConcurrentBag<string> CreateCleanup()
    {
        var dirs = new ConcurrentBag<string>();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (string dir in dirs) DeleteDataDir(dir);
        };
        return dirs;
    }

    private static void DeleteDataDir(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a directory still in use stays behind.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
        if (_services is not null) builder.ConfigureTestServices(_services);
    }

    /// <summary>Serves on a real loopback port (for real clients: Node libraries, browsers); returns the base URL.</summary>
    public string StartOnLoopback()
    {
        int port = FreePort();
        UseKestrel(port);
        StartServer();
        return $"http://127.0.0.1:{port}";
    }

    /// <summary>A loopback port nobody listens on right now.</summary>
    public static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>A client carrying the admin bearer token.</summary>
    public HttpClient CreateAdminClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        return client;
    }

    /// <summary>A client sending the app's Segment write key as Basic-auth user.</summary>
    public HttpClient CreateSegmentClient(string writeKey)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(writeKey + ":")));
        return client;
    }

    public async Task<TestApp> CreateAppAsync(string name = "Test app")
    {
        using var admin = CreateAdminClient();
        return await CreateAppAsync(admin, name);
    }

    /// <summary>Creates an app through an admin client (of any host, e.g. one started again on the same data).</summary>
    public static async Task<TestApp> CreateAppAsync(HttpClient admin, string name)
    {
        var response = await admin.PostAsJsonAsync("/api/v1/apps", new { name });
        response.EnsureSuccessStatusCode();
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        var keys = json.GetProperty("keys");
        return new TestApp(json.GetProperty("id").GetString()!, keys.GetProperty("production").GetString()!,
            keys.GetProperty("development").GetString()!, keys.GetProperty("export").GetString()!, keys.GetProperty("segmentWriteKey").GetString()!);
    }
}

public sealed record TestApp(string Id, string ProductionKey, string DevelopmentKey, string ExportKey, string WriteKey);
