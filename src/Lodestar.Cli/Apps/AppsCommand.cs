using System.CommandLine;
using System.Text.Json;
using Lodestar.Cli.Http;

namespace Lodestar.Cli.Apps;

/// <summary><c>lodestar apps create|list</c>.</summary>
public static class AppsCommand
{
    public static Command Create()
    {
        var apps = new Command("apps", "Create and list apps and their keys.");

        var name = new Argument<string>("name") { Description = "The app's name." };
        var create = new Command("create", "Create an app; prints its id and keys.") { name };
        create.SetAction(async (parse, cancellationToken) =>
        {
            using var client = ServerOptions.CreateClient(parse);
            var app = await client.PostJsonAsync("/api/v1/apps", new { name = parse.GetValue(name) }, cancellationToken);
            Print(parse, [app]);
            return 0;
        });

        var list = new Command("list", "List every app with its keys.");
        list.SetAction(async (parse, cancellationToken) =>
        {
            using var client = ServerOptions.CreateClient(parse);
            var body = await client.GetJsonAsync("/api/v1/apps", cancellationToken);
            Print(parse, [.. body.GetProperty("apps").EnumerateArray()]);
            return 0;
        });

        apps.Subcommands.Add(create);
        apps.Subcommands.Add(list);
        return apps;
    }

    private static void Print(ParseResult parse, IReadOnlyList<JsonElement> apps)
    {
        if (parse.GetValue(ServerOptions.Json))
        {
            Console.WriteLine(JsonSerializer.Serialize(apps.Count == 1 && parse.CommandResult.Command.Name == "create" ? (object)apps[0] : apps));
            return;
        }

        var rows = apps.Select(a =>
        {
            var keys = a.GetProperty("keys");
            return new string[]
            {
                a.GetProperty("id").GetString()!, a.GetProperty("name").GetString()!, keys.GetProperty("production").GetString()!,
                keys.GetProperty("development").GetString()!, keys.GetProperty("export").GetString()!, keys.GetProperty("segmentWriteKey").GetString()!,
            };
        }).ToList();
        Query.Table.Print(["id", "name", "production", "development", "export", "segmentWriteKey"], rows);
    }
}
