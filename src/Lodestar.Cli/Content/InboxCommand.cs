using System.CommandLine;
using Lodestar.Cli.Http;

namespace Lodestar.Cli.Content;

/// <summary><c>lodestar inbox send</c>: a message to the app inbox of some persons or a segment.</summary>
public static class InboxCommand
{
    public static Command Create()
    {
        var inbox = new Command("inbox", "Send app-inbox messages.");
        var appId = new Argument<string>("app-id") { Description = "The app's id." };
        var users = new Option<string[]>("--user") { Description = "A recipient's user id (repeat for several).", AllowMultipleArgumentsPerToken = true };
        var segment = new Option<string?>("--segment") { Description = "Send to everyone in this segment instead." };
        var title = new Option<string>("--title") { Description = "The title.", Required = true };
        var subtitle = new Option<string?>("--subtitle") { Description = "The subtitle." };
        var image = new Option<string?>("--image-url") { Description = "An image URL." };
        var data = new Option<string?>("--data") { Description = "Key/values as a JSON object or a file path." };
        var openUrl = new Option<string?>("--open-url") { Description = "Open this URL when the message is opened." };
        var expires = new Option<DateTimeOffset?>("--expires-at") { Description = "When the message disappears (ISO 8601)." };
        var send = new Command("send", "Deliver a message; prints its id and how many persons got it.") { appId, users, segment, title, subtitle, image, data, openUrl, expires };
        send.SetAction(async (parse, cancellationToken) =>
        {
            string[] userIds = parse.GetValue(users) ?? [];
            string? segmentId = parse.GetValue(segment);
            if ((userIds.Length == 0) == (segmentId is null)) throw new CliException("Give --user (one or more) or --segment.");
            var body = new Dictionary<string, object?>
            {
                ["title"] = parse.GetValue(title),
                ["subtitle"] = parse.GetValue(subtitle),
                ["imageUrl"] = parse.GetValue(image),
                ["expiresAt"] = parse.GetValue(expires),
            };
            if (segmentId is not null) body["segmentId"] = segmentId;
            else body["userIds"] = userIds;
            if (parse.GetValue(data) is { } dataText) body["data"] = JsonArgument.Read(dataText, "--data");
            if (parse.GetValue(openUrl) is { } url) body["openAction"] = new Dictionary<string, string> { ["__name__"] = "Open URL", ["URL"] = url };

            using var client = ServerOptions.CreateClient(parse);
            var sent = await client.PostJsonAsync($"/api/v1/apps/{Uri.EscapeDataString(parse.GetValue(appId)!)}/inbox", body, cancellationToken);
            if (parse.GetValue(ServerOptions.Json))
            {
                Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(sent));
                return 0;
            }

            Console.WriteLine($"message {sent.GetProperty("messageId").GetInt64()}: {sent.GetProperty("recipients").GetInt32()} recipients");
            var unknown = sent.GetProperty("unknownUserIds").EnumerateArray().Select(u => u.GetString()).ToList();
            if (unknown.Count > 0) Console.WriteLine($"not delivered (no such user yet): {string.Join(", ", unknown)}");
            return 0;
        });

        inbox.Subcommands.Add(send);
        return inbox;
    }
}
