using System.CommandLine;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lodestar.Cli.Http;

namespace Lodestar.Cli.Segments;

/// <summary><c>lodestar segments list|preview|export</c>.</summary>
public static class SegmentsCommand
{
    public static Command Create()
    {
        var segments = new Command("segments", "List saved segments, preview criteria, export a segment's members.");
        var app = new Option<string>("--app") { Description = "The app's id.", Required = true };

        var list = new Command("list", "List the app's saved segments.") { app };
        list.SetAction(async (parse, cancellationToken) =>
        {
            using var client = ServerOptions.CreateClient(parse);
            var body = await client.GetJsonAsync($"/api/v1/apps/{Uri.EscapeDataString(parse.GetValue(app)!)}/segments", cancellationToken);
            var items = body.GetProperty("segments").EnumerateArray().ToList();
            if (parse.GetValue(ServerOptions.Json))
            {
                Console.WriteLine(JsonSerializer.Serialize(items));
                return 0;
            }

            Query.Table.Print(["id", "name", "updatedAt", "criteria"], items.Select(s => new[]
            {
                s.GetProperty("id").GetString()!, s.GetProperty("name").GetString()!, s.GetProperty("updatedAt").GetDateTimeOffset().ToString("u"),
                s.GetProperty("criteria").GetRawText(),
            }).ToList());
            return 0;
        });

        var criteria = new Option<string?>("--criteria") { Description = "Criteria JSON, e.g. '{\"event\": \"Purchase\", \"within\": \"30d\"}'." };
        var file = new Option<FileInfo?>("--file", "-f") { Description = "A file holding the criteria JSON." };
        var sample = new Option<int>("--sample") { Description = "How many user ids to show (0 to 1000).", DefaultValueFactory = _ => 10 };
        var preview = new Command("preview", "How many persons match criteria now, with a sample of their user ids (nothing is saved).") { app, criteria, file, sample };
        preview.SetAction(async (parse, cancellationToken) =>
        {
            string? text = parse.GetValue(criteria);
            var source = parse.GetValue(file);
            if ((text is null) == (source is null)) throw new CliException("Give the criteria with exactly one of --criteria JSON and --file FILE.");
            if (source is not null) text = await File.ReadAllTextAsync(source.FullName, cancellationToken);
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(text!);
            }
            catch (JsonException ex)
            {
                throw new CliException($"The criteria are not valid JSON: {ex.Message}");
            }

            using var client = ServerOptions.CreateClient(parse);
            var body = await client.PostJsonAsync($"/api/v1/apps/{Uri.EscapeDataString(parse.GetValue(app)!)}/segments/preview",
                new JsonObject { ["criteria"] = node, ["sampleSize"] = parse.GetValue(sample) }, cancellationToken);
            if (parse.GetValue(ServerOptions.Json))
            {
                Console.WriteLine(body.GetRawText());
                return 0;
            }

            Console.WriteLine($"{body.GetProperty("persons").GetInt64()} persons match.");
            foreach (var id in body.GetProperty("sample").EnumerateArray()) Console.WriteLine(id.GetString());
            return 0;
        });

        var segment = new Option<string>("--segment") { Description = "The segment's id.", Required = true };
        var output = new Option<FileInfo?>("--output", "-o") { Description = "File to write (default: standard output)." };
        var export = new Command("export", "Export a segment's members now as CSV (personId,userId).") { app, segment, output };
        export.SetAction(async (parse, cancellationToken) =>
        {
            using var client = ServerOptions.CreateClient(parse);
            string path = $"api/v1/apps/{Uri.EscapeDataString(parse.GetValue(app)!)}/segments/{Uri.EscapeDataString(parse.GetValue(segment)!)}/users";
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
            var response = await client.SendAsync(() => client.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken));
            if (!response.IsSuccessStatusCode) await LodestarClient.ReadAsync(response, cancellationToken);
            string csv = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.Headers.TryGetValues("X-Next-Cursor", out _))
                await Console.Error.WriteLineAsync("The segment has more members than one export holds; the first ones were written.");
            var target = parse.GetValue(output);
            if (target is null)
            {
                await Console.Out.WriteAsync(csv);
            }
            else
            {
                await File.WriteAllTextAsync(target.FullName, csv, cancellationToken);
                await Console.Error.WriteLineAsync($"Wrote {csv.Count(c => c == '\n') - 1} members to {target.FullName}.");
            }

            return 0;
        });

        segments.Subcommands.Add(list);
        segments.Subcommands.Add(preview);
        segments.Subcommands.Add(export);
        return segments;
    }
}
