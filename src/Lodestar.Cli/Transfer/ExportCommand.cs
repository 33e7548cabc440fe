using System.CommandLine;
using Lodestar.Cli.Http;

namespace Lodestar.Cli.Transfer;

/// <summary><c>lodestar export --app ID --from --to --format jsonl|csv|parquet [--output FILE]</c>.</summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var app = new Option<string>("--app") { Description = "The app's id.", Required = true };
        var from = new Option<DateTimeOffset?>("--from") { Description = "First instant (ISO-8601), inclusive." };
        var to = new Option<DateTimeOffset?>("--to") { Description = "Last instant (ISO-8601), exclusive." };
        var format = new Option<string>("--format") { Description = "jsonl, csv or parquet.", DefaultValueFactory = _ => "jsonl" };
        format.AcceptOnlyFromAmong("jsonl", "csv", "parquet");
        var output = new Option<FileInfo?>("--output", "-o") { Description = "File to write (default: standard output; required for parquet)." };
        var command = new Command("export", "Export an app's events for a date range.") { app, from, to, format, output };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string kind = parse.GetValue(format)!;
            var target = parse.GetValue(output);
            if (target is null && kind == "parquet") throw new CliException("Parquet is binary: give a file with --output.");
            var query = new List<string> { $"format={kind}" };
            if (parse.GetValue(from) is { } start) query.Add($"from={Uri.EscapeDataString(start.ToString("O"))}");
            if (parse.GetValue(to) is { } end) query.Add($"to={Uri.EscapeDataString(end.ToString("O"))}");
            using var client = ServerOptions.CreateClient(parse);
            string path = $"api/v1/apps/{Uri.EscapeDataString(parse.GetValue(app)!)}/export/events?{string.Join('&', query)}";
            var response = await client.SendAsync(() => client.Http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, cancellationToken));
            if (!response.IsSuccessStatusCode) await LodestarClient.ReadAsync(response, cancellationToken);
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            if (target is null)
            {
                using var text = new StreamReader(body);
                var buffer = new char[64 * 1024];
                int read;
                while ((read = await text.ReadAsync(buffer, cancellationToken)) > 0) await Console.Out.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
            else
            {
                await using var file = target.Create();
                await body.CopyToAsync(file, cancellationToken);
                await Console.Error.WriteLineAsync($"Wrote {file.Length} bytes to {target.FullName}.");
            }

            return 0;
        });
        return command;
    }
}
