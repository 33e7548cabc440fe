using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Lodestar.Server.Tests.Infrastructure;

namespace Lodestar.Server.Tests.Durability;

public sealed class CrashRecoveryTests
{
    [Fact]
    public async Task Sigkill_WhileClientsSend_LosesNoAcknowledgedEvent_AndProfilesRecover()
    {
        string dataDir = LodestarFactory.NewDataDir();
        var acknowledged = new ConcurrentBag<string>();
        string appId, writeKey;

        using (var server = await ServerProcess.StartAsync(dataDir))
        {
            using var admin = server.CreateAdminClient();
            var app = await (await admin.PostJsonAsync("/api/v1/apps", """{"name":"crash"}""")).JsonAsync();
            appId = app.GetProperty("id").GetString()!;
            writeKey = app.GetProperty("keys").GetProperty("segmentWriteKey").GetString()!;

            using var stop = new CancellationTokenSource();
            var senders = Enumerable.Range(0, 4).Select(client => Task.Run(async () =>
            {
                using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));
                for (int batch = 0; !stop.IsCancellationRequested; batch++)
                {
                    var ids = Enumerable.Range(0, 50).Select(i => $"c{client}-b{batch}-m{i}").ToList();
                    string body = "{\"batch\":[" + string.Join(",", ids.Select(id =>
                        $"{{\"type\":\"track\",\"userId\":\"crash-user-{client}\",\"event\":\"Tick\",\"messageId\":\"{id}\",\"properties\":{{\"n\":1}}}}")) + "]}";
                    try
                    {
                        var response = await http.PostAsync("/v1/batch", new StringContent(body, Encoding.UTF8, "application/json"));
                        if (response.StatusCode == HttpStatusCode.OK) ids.ForEach(acknowledged.Add);
                    }
                    catch (HttpRequestException)
                    {
                        return; // The server is gone.
                    }
                }
            })).ToList();

            await Task.Delay(TimeSpan.FromSeconds(2));
            server.Kill();
            await stop.CancelAsync();
            await Task.WhenAll(senders);
        }

        Assert.True(acknowledged.Count >= 200, $"Too few events were sent before the kill ({acknowledged.Count}).");

        using var restarted = await ServerProcess.StartAsync(dataDir);
        using var client = restarted.CreateAdminClient();
        string export = await client.GetStringAsync($"/api/v1/apps/{appId}/export/events?format=jsonl");
        var stored = export.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("messageId").GetString())
            .ToList();
        Assert.Equal(stored.Count, stored.Distinct().Count());
        var missing = acknowledged.Except(stored).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} acknowledged events are missing, e.g. {string.Join(", ", missing.Take(5))}");

        // The profile projector replays what it had not checkpointed before the crash: the profile is as new as the last event.
        var lines = export.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        var lastOfUser = lines.Where(e => e.GetProperty("userId").GetString() == "crash-user-0").Max(e => e.GetProperty("timestamp").GetDateTimeOffset());
        var profile = await (await client.GetAsync($"/api/v1/apps/{appId}/users/crash-user-0")).JsonAsync();
        Assert.Equal("crash-user-0", profile.GetProperty("userId").GetString());
        Assert.InRange(profile.GetProperty("lastActive").GetDateTimeOffset() - lastOfUser, TimeSpan.FromMilliseconds(-1), TimeSpan.FromMilliseconds(1));
    }
}
