using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Lodestar.Cli.Http;

/// <summary>The management API as the CLI uses it; a non-success answer becomes a <see cref="CliException"/> carrying the server's explanation.</summary>
public sealed class LodestarClient : IDisposable
{
    private readonly HttpClient _http;

    public LodestarClient(string server, string? token)
    {
        _http = new HttpClient { BaseAddress = new Uri(server.TrimEnd('/') + "/"), Timeout = TimeSpan.FromMinutes(10) };
        if (!string.IsNullOrEmpty(token)) _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public HttpClient Http => _http;

    public async Task<JsonElement> GetJsonAsync(string path, CancellationToken cancellationToken) =>
        await ReadAsync(await SendAsync(() => _http.GetAsync(path.TrimStart('/'), cancellationToken)), cancellationToken);

    public async Task<JsonElement> PostJsonAsync(string path, object body, CancellationToken cancellationToken) =>
        await ReadAsync(await SendAsync(() => _http.PostAsJsonAsync(path.TrimStart('/'), body, cancellationToken)), cancellationToken);

    public async Task<JsonElement> PutJsonAsync(string path, object body, CancellationToken cancellationToken) =>
        await ReadAsync(await SendAsync(() => _http.PutAsJsonAsync(path.TrimStart('/'), body, cancellationToken)), cancellationToken);

    public async Task<HttpResponseMessage> SendAsync(Func<Task<HttpResponseMessage>> send)
    {
        try
        {
            return await send();
        }
        catch (HttpRequestException ex)
        {
            throw new CliException($"Cannot reach the server at {_http.BaseAddress}: {ex.Message}. Is it running? (--server)");
        }
    }

    public static async Task<JsonElement> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string text = await response.Content.ReadAsStringAsync(cancellationToken);
        JsonElement json = default;
        try
        {
            if (text.Length > 0) json = JsonDocument.Parse(text).RootElement;
        }
        catch (JsonException)
        {
        }

        if (response.IsSuccessStatusCode) return json;
        string detail = json.ValueKind == JsonValueKind.Object && json.TryGetProperty("detail", out var d) ? d.GetString() ?? text : text;
        if (response.StatusCode == System.Net.HttpStatusCode.Unauthorized && detail.Length == 0) detail = "Pass the admin token with --token or LODESTAR_ADMIN_TOKEN.";
        throw new CliException($"The server answered {(int)response.StatusCode}: {detail}", json);
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>An error to print for the user, with exit code 1.</summary>
public sealed class CliException(string message, JsonElement problem = default) : Exception(message)
{
    public JsonElement Problem { get; } = problem;
}
