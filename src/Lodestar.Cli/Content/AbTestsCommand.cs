using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Lodestar.Cli.Http;

namespace Lodestar.Cli.Content;

/// <summary><c>lodestar ab-tests list|get|create|update|pause|resume|finish</c>: A/B tests on variables.</summary>
public static class AbTestsCommand
{
    public static Command Create()
    {
        var tests = new Command("ab-tests", "Create and manage A/B tests on variables.");
        var appId = new Argument<string>("app-id") { Description = "The app's id." };
        var testId = new Argument<string>("test-id") { Description = "The test's id." };
        var definition = new Argument<string>("definition")
        {
            Description = "The test as JSON or a file path: {\"name\", \"audience\": {\"segmentId\", \"trafficPercent\"}, " +
                          "\"variants\": [{\"name\", \"weight\", \"values\"}], \"status\"}.",
        };
        string Base(ParseResult parse) => $"/api/v1/apps/{Uri.EscapeDataString(parse.GetValue(appId)!)}/ab-tests";
        string One(ParseResult parse) => $"{Base(parse)}/{Uri.EscapeDataString(parse.GetValue(testId)!)}";

        var list = new Command("list", "List the app's tests with their variants.") { appId };
        list.SetAction(async (parse, cancellationToken) =>
        {
            using var client = ServerOptions.CreateClient(parse);
            var body = await client.GetJsonAsync(Base(parse), cancellationToken);
            if (parse.GetValue(ServerOptions.Json))
            {
                Console.WriteLine(JsonSerializer.Serialize(body.GetProperty("abTests")));
                return 0;
            }

            var rows = body.GetProperty("abTests").EnumerateArray().Select(t => new[]
            {
                t.GetProperty("id").GetString()!, t.GetProperty("name").GetString()!, t.GetProperty("status").GetString()!,
                t.GetProperty("audience").GetProperty("segmentId").GetString() ?? "(everyone)",
                t.GetProperty("audience").GetProperty("trafficPercent").GetDouble().ToString(CultureInfo.InvariantCulture) + "%",
                string.Join(", ", t.GetProperty("variants").EnumerateArray().Select(v => string.Create(CultureInfo.InvariantCulture,
                    $"{v.GetProperty("id").GetInt64()} {v.GetProperty("name").GetString()} {v.GetProperty("weight").GetDouble()}% ({v.GetProperty("persons").GetInt64()} persons)"))),
            }).ToList();
            Query.Table.Print(["id", "name", "status", "segment", "traffic", "variants"], rows);
            return 0;
        });

        var get = new Command("get", "Print one test as JSON.") { appId, testId };
        get.SetAction(async (parse, cancellationToken) =>
        {
            using var client = ServerOptions.CreateClient(parse);
            JsonArgument.Print(await client.GetJsonAsync(One(parse), cancellationToken));
            return 0;
        });

        var create = new Command("create", "Create a test; prints it (with its variant ids).") { appId, definition };
        create.SetAction(async (parse, cancellationToken) =>
        {
            var body = JsonArgument.Read(parse.GetValue(definition)!, "definition");
            using var client = ServerOptions.CreateClient(parse);
            JsonArgument.Print(await client.PostJsonAsync(Base(parse), body, cancellationToken));
            return 0;
        });

        var update = new Command("update", "Change a test (fields left out stay; persons already assigned keep their variant).") { appId, testId, definition };
        update.SetAction(async (parse, cancellationToken) =>
        {
            var body = JsonArgument.Read(parse.GetValue(definition)!, "definition");
            using var client = ServerOptions.CreateClient(parse);
            JsonArgument.Print(await client.PutJsonAsync(One(parse), body, cancellationToken));
            return 0;
        });

        Command StatusCommand(string name, string description)
        {
            var command = new Command(name, description) { appId, testId };
            command.SetAction(async (parse, cancellationToken) =>
            {
                using var client = ServerOptions.CreateClient(parse);
                var test = await client.PostJsonAsync($"{One(parse)}/{name}", new { }, cancellationToken);
                Console.WriteLine($"{test.GetProperty("id").GetString()} {test.GetProperty("name").GetString()}: {test.GetProperty("status").GetString()}");
                return 0;
            });
            return command;
        }

        var winner = new Option<long>("--winner") { Description = "The id of the variant to roll out to everyone.", Required = true };
        var finish = new Command("finish", "Finish a test, rolling the winning variant out to everyone.") { appId, testId, winner };
        finish.SetAction(async (parse, cancellationToken) =>
        {
            using var client = ServerOptions.CreateClient(parse);
            var test = await client.PostJsonAsync($"{One(parse)}/finish", new { winnerVariantId = parse.GetValue(winner) }, cancellationToken);
            Console.WriteLine($"{test.GetProperty("id").GetString()} {test.GetProperty("name").GetString()}: finished, variant {test.GetProperty("winnerVariantId").GetInt64()} for everyone");
            return 0;
        });

        tests.Subcommands.Add(list);
        tests.Subcommands.Add(get);
        tests.Subcommands.Add(create);
        tests.Subcommands.Add(update);
        tests.Subcommands.Add(StatusCommand("pause", "Pause a test: assignments are kept, everyone sees the control."));
        tests.Subcommands.Add(StatusCommand("resume", "Run a draft or paused test."));
        tests.Subcommands.Add(finish);
        return tests;
    }
}
