using System.CommandLine;

namespace Lodestar.Cli.Http;

/// <summary>Options every command that talks to a running server shares.</summary>
public static class ServerOptions
{
    public static readonly Option<string> Server = new("--server")
    {
        Description = "Base URL of the Lodestar server (env LODESTAR_URL).",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LODESTAR_URL") ?? "http://127.0.0.1:5000",
    };

    public static readonly Option<string?> Token = new("--token")
    {
        Description = "Admin token (env LODESTAR_ADMIN_TOKEN).",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LODESTAR_ADMIN_TOKEN"),
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print JSON instead of a table.",
        Recursive = true,
    };

    public static LodestarClient CreateClient(ParseResult parse) =>
        new(parse.GetValue(Server)!, parse.GetValue(Token));
}
