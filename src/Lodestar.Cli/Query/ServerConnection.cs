using System.CommandLine;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Lodestar.Cli.Query;

/// <summary>The <c>--server</c> and <c>--token</c> options every client command shares, and the HTTP calls made with them.</summary>
public sealed class ServerConnection
{
    public const string TokenVariable = "LODESTAR_ADMIN_TOKEN";

    // The root command carries these (recursive), so every command shares one definition.
    public Option<string> Server => Http.ServerOptions.Server;

    public Option<string?> Token => Http.ServerOptions.Token;

    public HttpClient CreateClient(ParseResult parseResult)
    {
        string token = parseResult.GetValue(Token) ?? Environment.GetEnvironmentVariable(TokenVariable)
            ?? throw new CommandFailedException($"Pass --token or set {TokenVariable}.");
        var client = new HttpClient { BaseAddress = new Uri(parseResult.GetValue(Server)!), Timeout = TimeSpan.FromMinutes(5) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Posts JSON and returns the JSON answer; an error answer becomes a <see cref="CommandFailedException"/> with the server's detail.</summary>
    public static async Task<JsonElement> PostAsync(HttpClient client, string path, string json, CancellationToken cancellationToken)
    {
        using var response = await client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"), cancellationToken);
        string text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            string detail = text;
            try
            {
                using var problem = JsonDocument.Parse(text);
                if (problem.RootElement.TryGetProperty("detail", out var d)) detail = d.GetString() ?? text;
            }
            catch (JsonException)
            {
                // Not a problem document: show the body as it is.
            }

            throw new CommandFailedException($"{(int)response.StatusCode} {response.ReasonPhrase}: {detail}");
        }

        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}

/// <summary>A command failed for a reason the user can fix; the message says which.</summary>
public sealed class CommandFailedException(string message) : Exception(message);
