using System.Buffers;
using System.CommandLine;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Lodestar.Analytics.Demo;
using Lodestar.Cli.Query;

namespace Lodestar.Cli.Demo;

/// <summary><c>lodestar demo</c>: creates an app on a running server and fills it with a generated history through <c>/v1/batch</c>.</summary>
public static class DemoCommand
{
    /// <summary>Kept under the server's 500 KB batch limit.</summary>
    private const int MaxBatchBytes = 400 * 1024;

    public static Command Create()
    {
        var users = new Option<int>("--users") { Description = "Number of users.", DefaultValueFactory = _ => 200_000 };
        var days = new Option<int>("--days") { Description = "Days of history, ending at --start + days.", DefaultValueFactory = _ => 90 };
        var seed = new Option<int>("--seed") { Description = "Seed: the same seed gives the same history.", DefaultValueFactory = _ => 1 };
        var start = new Option<DateTimeOffset?>("--start") { Description = "First day of the history (default 2025-01-01)." };
        var name = new Option<string>("--name") { Description = "Name of the app to create.", DefaultValueFactory = _ => "Demo" };
        var connection = new ServerConnection();
        var command = new Command("demo", "Generate a realistic demo app (funnel, purchases, habits, churn, logins) on a running server.");
        foreach (var option in new Option[] { users, days, seed, start, name }) command.Options.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            try
            {
                using var admin = connection.CreateClient(parseResult);
                var app = await ServerConnection.PostAsync(admin, "/api/v1/apps", JsonSerializer.Serialize(new { name = parseResult.GetValue(name) }), cancellationToken);
                string appId = app.GetProperty("id").GetString()!;
                string writeKey = app.GetProperty("keys").GetProperty("segmentWriteKey").GetString()!;
                Console.WriteLine($"Created app {appId}; sending events…");

                using var ingest = new HttpClient { BaseAddress = admin.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
                ingest.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));
                var generator = new DemoDataGenerator(parseResult.GetValue(users), parseResult.GetValue(days), parseResult.GetValue(seed), parseResult.GetValue(start));
                long sent = await SendAsync(ingest, generator, cancellationToken);
                Console.WriteLine($"Done: {sent:N0} messages in app {appId} ({generator.Start:yyyy-MM-dd} to {generator.End:yyyy-MM-dd}).");
                return 0;
            }
            catch (Exception ex) when (ex is CommandFailedException or HttpRequestException)
            {
                await Console.Error.WriteLineAsync(ex.Message);
                return 1;
            }
        });
        return command;
    }

    /// <summary>Sends the history in order, one batch at a time (a user's messages must arrive in order for identity).</summary>
    public static async Task<long> SendAsync(HttpClient ingest, DemoDataGenerator generator, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(MaxBatchBytes + 64 * 1024);
        var writer = new Utf8JsonWriter(buffer);
        long sent = 0;
        int inBatch = 0;
        var watch = Stopwatch.StartNew();

        void Begin()
        {
            buffer.ResetWrittenCount();
            writer.Reset(buffer);
            writer.WriteStartObject();
            writer.WriteStartArray("batch");
            inBatch = 0;
        }

        async Task FlushAsync()
        {
            if (inBatch == 0) return;
            writer.WriteEndArray();
            writer.WriteEndObject();
            await writer.FlushAsync(cancellationToken);
            using var content = new ByteArrayContent(buffer.WrittenSpan.ToArray());
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await ingest.PostAsync("/v1/batch", content, cancellationToken);
            if (!response.IsSuccessStatusCode)
                throw new CommandFailedException($"/v1/batch answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
            sent += inBatch;
            Begin();
        }

        Begin();
        int day = 0;
        foreach (var events in generator.Days())
        {
            foreach (var e in events)
            {
                DemoDataGenerator.WriteSegment(writer, e);
                inBatch++;
                if (writer.BytesPending + buffer.WrittenCount >= MaxBatchBytes) await FlushAsync();
            }

            if (++day % 10 == 0) Console.WriteLine($"  day {day}: {sent:N0} messages sent ({sent / Math.Max(1, watch.Elapsed.TotalSeconds):N0}/s)");
        }

        await FlushAsync();
        return sent;
    }
}
