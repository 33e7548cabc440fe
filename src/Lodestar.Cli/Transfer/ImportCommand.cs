using System.CommandLine;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Lodestar.Cli.Http;

namespace Lodestar.Cli.Transfer;

/// <summary>
/// <c>lodestar import --app ID FILE</c>: sends a JSONL file of Segment-spec messages through the server's
/// <c>/v1/batch</c>, so imported events pass exactly the validation live traffic does.
/// </summary>
public static partial class ImportCommand
{
    private const int MaxBatchMessages = 500;
    private const int MaxBatchBytes = 450 * 1024;

    public static Command Create()
    {
        var app = new Option<string>("--app") { Description = "The app's id.", Required = true };
        var file = new Argument<FileInfo>("file") { Description = "JSON lines, one Segment-spec message (with its type) per line; - for standard input." };
        var command = new Command("import", "Import Segment-spec messages from a JSONL file.") { app, file };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = ServerOptions.CreateClient(parse);
            var details = await client.GetJsonAsync($"/api/v1/apps/{Uri.EscapeDataString(parse.GetValue(app)!)}", cancellationToken);
            string writeKey = details.GetProperty("keys").GetProperty("segmentWriteKey").GetString()!;
            client.Http.DefaultRequestHeaders.Authorization =
                new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));

            var input = parse.GetValue(file)!;
            using var reader = input.Name == "-" ? new StreamReader(Console.OpenStandardInput()) : input.OpenText();
            var result = await ImportAsync(client, reader, Console.Error, cancellationToken);
            if (parse.GetValue(ServerOptions.Json)) Console.WriteLine(JsonSerializer.Serialize(result));
            else Console.WriteLine($"{result.Accepted} stored, {result.Duplicates} duplicates skipped, {result.Rejected} rejected, of {result.Lines} lines.");
            return result.Rejected == 0 ? 0 : 2;
        });
        return command;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"batch\[\d+\]\.")]
    private static partial System.Text.RegularExpressions.Regex BatchPath();

    public sealed record ImportResult(int Lines, int Accepted, int Duplicates, int Rejected);

    public static async Task<ImportResult> ImportAsync(LodestarClient client, TextReader reader, TextWriter errors, CancellationToken cancellationToken)
    {
        var batch = new List<(int Line, string Json)>();
        int bytes = 0, lines = 0, accepted = 0, duplicates = 0, rejected = 0;

        async Task FlushAsync()
        {
            if (batch.Count == 0) return;
            string body = "{\"batch\":[" + string.Join(",", batch.Select(b => b.Json)) + "]}";
            var response = await client.SendAsync(() => client.Http.PostAsync("v1/batch", new StringContent(body, Encoding.UTF8, "application/json"), cancellationToken));
            string text = await response.Content.ReadAsStringAsync(cancellationToken);
            using var json = JsonDocument.Parse(text.Length == 0 ? "{}" : text);
            var root = json.RootElement;
            if (response.IsSuccessStatusCode)
            {
                // The server's "accepted" counts valid messages, resends included.
                accepted += root.GetProperty("accepted").GetInt32() - root.GetProperty("duplicates").GetInt32();
                duplicates += root.GetProperty("duplicates").GetInt32();
            }
            else if (root.TryGetProperty("rejected", out var list))
            {
                // The server's "accepted" counts valid messages, resends included.
                accepted += root.GetProperty("accepted").GetInt32() - root.GetProperty("duplicates").GetInt32();
                duplicates += root.GetProperty("duplicates").GetInt32();
                foreach (var item in list.EnumerateArray())
                {
                    rejected++;
                    string error = BatchPath().Replace(item.GetProperty("error").GetString() ?? "", "");
                    await errors.WriteLineAsync($"line {batch[item.GetProperty("index").GetInt32()].Line}: {error}");
                }
            }
            else
            {
                throw new CliException($"The server refused the batch ({(int)response.StatusCode}): {text}");
            }

            batch.Clear();
            bytes = 0;
        }

        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            lines++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            // A line that is not JSON would make the whole batch unreadable: reject it here, by line number.
            try
            {
                using var document = JsonDocument.Parse(line);
                if (document.RootElement.ValueKind != JsonValueKind.Object) throw new JsonException("not a JSON object");
            }
            catch (JsonException ex)
            {
                rejected++;
                await errors.WriteLineAsync($"line {lines}: not a JSON object ({ex.Message.Split(" Path:")[0]})");
                continue;
            }

            int size = Encoding.UTF8.GetByteCount(line);
            if (batch.Count >= MaxBatchMessages || bytes + size > MaxBatchBytes) await FlushAsync();
            batch.Add((lines, line));
            bytes += size + 1;
        }

        await FlushAsync();
        return new ImportResult(lines, accepted, duplicates, rejected);
    }
}
