using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using Lodestar.Engine.Ingestion;
using Lodestar.Server.Tests.Infrastructure;

namespace Lodestar.Server.Tests.Segment;

/// <summary>The ingestion path's own measurements reach a listener of the <c>Lodestar.Ingestion</c> meter.</summary>
public sealed class IngestionMetricsTests : IAsyncLifetime
{
    private readonly LodestarFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task StoredEvents_AreCountedAndEveryStageTimed()
    {
        // The meter is process-wide: other tests' servers may record beside this one, so counts are lower bounds.
        var seconds = new ConcurrentDictionary<string, ConcurrentBag<double>>();
        long stored = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == IngestionMetrics.MeterName) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => seconds.GetOrAdd(instrument.Name, _ => []).Add(value));
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "lodestar.ingestion.events.stored") Interlocked.Add(ref stored, value);
        });
        listener.Start();

        var app = await _factory.CreateAppAsync();
        using var segment = _factory.CreateSegmentClient(app.WriteKey);
        string batch = "{\"batch\": [" + string.Join(",", Enumerable.Range(0, 25).Select(i =>
            $$"""{"type": "track", "userId": "u{{i}}", "event": "Opened", "messageId": "metrics-{{i}}"}""")) + "]}";
        Assert.Equal(HttpStatusCode.OK, (await segment.PostJsonAsync("/v1/batch", batch)).StatusCode);
        // The store follows the log in batches; wait for the batch to be appended.
        for (int i = 0; i < 100 && !seconds.ContainsKey("lodestar.ingestion.store.append.duration"); i++) await Task.Delay(100);

        Assert.True(Interlocked.Read(ref stored) >= 25, $"events stored counted: {stored}");
        foreach (string name in new[]
                 {
                     "lodestar.ingestion.submission.duration", "lodestar.ingestion.commit.duration",
                     "lodestar.ingestion.log.sync.duration", "lodestar.ingestion.store.append.duration",
                 })
        {
            Assert.True(seconds.TryGetValue(name, out var values) && !values.IsEmpty, $"{name} was not recorded");
            Assert.All(values, v => Assert.InRange(v, 0, 60));
        }
    }
}
