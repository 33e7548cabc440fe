using Lodestar.Engine.Ingestion;

namespace Lodestar.Engine.Tests;

/// <summary>
/// Logged records wait for the store packed into shared slabs: a slab is reused only once every record in it is
/// released, so a record still waiting must never see its bytes overwritten.
/// </summary>
public sealed class LoggedRecordTests
{
    private static byte[] Payload(int id, int length)
    {
        var bytes = new byte[length];
        new Random(id).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public void LiveRecords_KeepTheirBytes_WhileSlabsAroundThemAreReleasedAndReused()
    {
        var random = new Random(7);
        var live = new List<(LoggedRecord Record, byte[] Expected)>();
        int id = 0;
        for (int round = 0; round < 6; round++)
        {
            // 30 records of up to 700 KB: several 4 MB slabs a round, one record past a slab's size now and then.
            for (int i = 0; i < 30; i++)
            {
                int length = i == 17 ? (5 << 20) : random.Next(1, 700_000);
                var expected = Payload(++id, length);
                live.Add((LoggedRecord.Copy(expected, count: i, lastSequence: id), expected));
            }

            // The store takes the older records, mostly in order, a few out of order.
            var taken = live.Take(20).OrderBy(_ => random.Next(4)).ToList();
            foreach (var (record, _) in taken) record.Release();
            live.RemoveAll(r => taken.Contains(r));
            foreach (var (record, expected) in live) Assert.True(record.Payload.Span.SequenceEqual(expected), "a waiting record's bytes changed");
        }

        var last = live[^1].Record;
        last.Release();
        last.Release(); // a second release is harmless
        Assert.Throws<ObjectDisposedException>(() => last.Payload);
    }
}
