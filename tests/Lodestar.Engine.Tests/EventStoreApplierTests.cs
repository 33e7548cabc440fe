using Lodestar.Core.Events;
using Lodestar.Engine.Ingestion;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Lodestar.Engine.Tests;

public sealed class EventStoreApplierTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lodestar-applier-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task Enqueue_HoldsTheWriter_WhileTheStoreIsTooFarBehind()
    {
        var store = new GatedStore();
        using var log = new EventLog(_dir);
        var options = new IngestionOptions { MaxStoreBacklogEvents = 1000, StoreBacklogWait = TimeSpan.FromSeconds(30), StoreBatchDelay = TimeSpan.Zero };
        using var applier = new EventStoreApplier(store, log, Options.Create(options), NullLogger<EventStoreApplier>.Instance);
        await applier.StartAsync(CancellationToken.None);

        // Within the backlog: returns at once, though the store has taken nothing yet.
        applier.Enqueue(log.Append(Events(1, 600))!);
        var over = Task.Run(() => applier.Enqueue(log.Append(Events(601, 1700))!));
        await Task.Delay(300);
        Assert.False(over.IsCompleted, "1,700 events behind a store holding none: the writer must wait");

        store.Open();
        await over.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(applier.AppliedSequence >= 700);
        applier.Complete();
        await applier.StopAsync(CancellationToken.None);
        Assert.Equal(1700, store.Appended);
    }

    private static List<StoredEvent> Events(long first, long last) =>
    [
        .. Enumerable.Range((int)first, (int)(last - first + 1)).Select(sequence => new StoredEvent
        {
            Sequence = sequence,
            AppId = "app",
            PersonId = "p",
            ReceivedAt = DateTimeOffset.UnixEpoch,
            Event = new IncomingEvent { Type = EventTypes.Track, Name = "E", AnonymousId = "a", Timestamp = DateTimeOffset.UnixEpoch },
        }),
    ];

    /// <summary>An event store whose appends wait until it is opened.</summary>
    private sealed class GatedStore : IEventStore
    {
        private readonly ManualResetEventSlim _open = new();
        private long _max;

        public long Appended => Interlocked.Read(ref _max);

        public void Open() => _open.Set();

        public long MaxSequence() => Interlocked.Read(ref _max);

        public void Append(IReadOnlyList<StoredEvent> events)
        {
            if (events.Count == 0) return;
            _open.Wait();
            Interlocked.Exchange(ref _max, events[^1].Sequence);
        }

        public void AppendEncoded(IReadOnlyList<ReadOnlyMemory<byte>> records)
        {
            if (records.Count == 0) return;
            _open.Wait();
            long last = 0;
            foreach (var record in records)
            {
                var reader = new EncodedEventReader(record.Span);
                while (reader.Next(out var e)) last = e.Sequence;
            }

            Interlocked.Exchange(ref _max, last);
        }

        public void RecordMerge(string appId, string oldPersonId, string personId) => throw new NotSupportedException();

        public IEnumerable<(string AppId, string MessageId, DateTimeOffset ReceivedAt)> RecentMessageIds(DateTimeOffset since) => [];

        public IEnumerable<StoredEvent> ReadFrom(long afterSequence, int limit) => [];

        public IReadOnlyList<StoredEvent> PersonEvents(string appId, string personId, int limit, bool includeInternal) => [];

        public IReadOnlyList<StoredEvent> PersonsEvents(string appId, IReadOnlyCollection<string> personIds, IReadOnlyCollection<string> names, long maxSequence) => [];

        public long Export(string appId, DateTimeOffset from, DateTimeOffset to, ExportFormat format, string path) => 0;

        public long DeletePerson(string appId, string personId) => 0;
    }
}
