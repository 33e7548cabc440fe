using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Lodestar.Cli.Http;

namespace Lodestar.Cli.Messages;

/// <summary><c>lodestar messages list|get|create|update|pause|resume|finish|stats</c>: in-app messages of an app.</summary>
public static class MessagesCommand
{
    public static Command Create()
    {
        var messages = new Command("messages", "Create, list, pause and finish in-app messages (Leanplum's message format).");
        var appId = new Argument<string>("app-id") { Description = "The app's id." };
        var messageId = new Argument<long>("message-id") { Description = "The message's numeric id." };
        var file = new Option<FileInfo>("--file", "-f")
        {
            Description = "The message definition as JSON ({\"name\", \"action\", \"vars\", \"whenTriggers\", \"whenLimits\", …}); - reads standard input.",
            Required = true,
        };
        var status = new Option<string?>("--status") { Description = "Only messages with this status: active, paused or finished." };

        var list = new Command("list", "List the app's messages.") { appId, status };
        list.SetAction(async (parse, cancellationToken) =>
        {
            using var client = ServerOptions.CreateClient(parse);
            string query = parse.GetValue(status) is { Length: > 0 } only ? "?status=" + Uri.EscapeDataString(only) : "";
            var body = await client.GetJsonAsync($"/api/v1/apps/{Escape(parse.GetValue(appId)!)}/messages{query}", cancellationToken);
            Print(parse, [.. body.GetProperty("messages").EnumerateArray()], single: false);
            return 0;
        });

        var get = new Command("get", "Show one message.") { appId, messageId };
        get.SetAction(async (parse, cancellationToken) =>
        {
            using var client = ServerOptions.CreateClient(parse);
            Print(parse, [await client.GetJsonAsync(MessagePath(parse, appId, messageId), cancellationToken)], single: true);
            return 0;
        });

        var create = new Command("create", "Create a message from a JSON definition; prints it with its id.") { appId, file };
        create.SetAction(async (parse, cancellationToken) =>
        {
            using var client = ServerOptions.CreateClient(parse);
            var definition = await ReadDefinitionAsync(parse.GetValue(file)!, cancellationToken);
            Print(parse, [await client.PostJsonAsync($"/api/v1/apps/{Escape(parse.GetValue(appId)!)}/messages", definition, cancellationToken)], single: true);
            return 0;
        });

        var update = new Command("update", "Replace a message's definition (send variants back with their id to keep them).") { appId, messageId, file };
        update.SetAction(async (parse, cancellationToken) =>
        {
            using var client = ServerOptions.CreateClient(parse);
            var definition = await ReadDefinitionAsync(parse.GetValue(file)!, cancellationToken);
            Print(parse, [await client.PutJsonAsync(MessagePath(parse, appId, messageId), definition, cancellationToken)], single: true);
            return 0;
        });

        messages.Subcommands.Add(list);
        messages.Subcommands.Add(get);
        messages.Subcommands.Add(create);
        messages.Subcommands.Add(update);
        foreach (var (verb, description) in new[]
                 {
                     ("pause", "Stop shipping a message (devices keep it until their next start)."),
                     ("resume", "Ship a paused message again."),
                     ("finish", "End (archive) a message for good."),
                 })
        {
            var command = new Command(verb, description) { appId, messageId };
            command.SetAction(async (parse, cancellationToken) =>
            {
                using var client = ServerOptions.CreateClient(parse);
                Print(parse, [await client.PostJsonAsync(MessagePath(parse, appId, messageId) + "/" + verb, new { }, cancellationToken)], single: true);
                return 0;
            });
            messages.Subcommands.Add(command);
        }

        var stats = new Command("stats", "Impressions, viewers and actions per variant of a message.") { appId, messageId };
        stats.SetAction(async (parse, cancellationToken) =>
        {
            using var client = ServerOptions.CreateClient(parse);
            var body = await client.GetJsonAsync(MessagePath(parse, appId, messageId) + "/stats", cancellationToken);
            if (parse.GetValue(ServerOptions.Json))
            {
                Console.WriteLine(JsonSerializer.Serialize(body));
                return 0;
            }

            var rows = body.GetProperty("arms").EnumerateArray().Select(arm => new[]
            {
                arm.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture),
                arm.GetProperty("variant").GetString() ?? "",
                arm.GetProperty("impressions").GetInt64().ToString(CultureInfo.InvariantCulture),
                arm.GetProperty("viewers").GetInt64().ToString(CultureInfo.InvariantCulture),
                string.Join(", ", arm.GetProperty("actions").EnumerateObject().Select(a => $"{a.Name}={a.Value.GetProperty("events").GetInt64()}")),
            }).ToList();
            Query.Table.Print(["id", "variant", "impressions", "viewers", "actions"], rows);
            return 0;
        });
        messages.Subcommands.Add(stats);
        return messages;
    }

    private static string MessagePath(ParseResult parse, Argument<string> appId, Argument<long> messageId) =>
        $"/api/v1/apps/{Escape(parse.GetValue(appId)!)}/messages/{parse.GetValue(messageId).ToString(CultureInfo.InvariantCulture)}";

    private static string Escape(string value) => Uri.EscapeDataString(value);

    private static async Task<JsonElement> ReadDefinitionAsync(FileInfo file, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = file.Name == "-" ? await Console.In.ReadToEndAsync(cancellationToken) : await File.ReadAllTextAsync(file.FullName, cancellationToken);
        }
        catch (IOException ex)
        {
            throw new CliException($"Cannot read {file.FullName}: {ex.Message}");
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new CliException($"The message definition is not valid JSON: {ex.Message}");
        }
    }

    private static void Print(ParseResult parse, IReadOnlyList<JsonElement> messages, bool single)
    {
        if (parse.GetValue(ServerOptions.Json))
        {
            Console.WriteLine(JsonSerializer.Serialize(single && messages.Count == 1 ? (object)messages[0] : messages));
            return;
        }

        var rows = messages.Select(m => new[]
        {
            m.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture),
            m.GetProperty("name").GetString()!,
            m.GetProperty("action").GetString()!,
            m.GetProperty("status").GetString()!,
            m.GetProperty("priority").GetInt32().ToString(CultureInfo.InvariantCulture),
            m.GetProperty("audience").GetProperty("segmentId").GetString() ?? "(everyone)",
            string.Join(", ", m.GetProperty("variants").EnumerateArray().Select(v => $"{v.GetProperty("name").GetString()} ({v.GetProperty("id").GetInt64()})")),
        }).ToList();
        Query.Table.Print(["id", "name", "action", "status", "priority", "audience", "variants"], rows);
    }
}
