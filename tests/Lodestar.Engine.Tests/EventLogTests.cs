using Lodestar.Core.Events;
using Lodestar.Engine.Ingestion;

namespace Lodestar.Engine.Tests;

public sealed class EventLogTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lodestar-log-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static StoredEvent Event(long sequence, string? properties = "{\"a\":1}") => new()
    {
        Sequence = sequence,
        AppId = "app",
        PersonId = "p" + (sequence % 3),
        MergedPersonId = sequence == 2 ? "old" : null,
        ReceivedAt = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(sequence),
        Event = new IncomingEvent
        {
            Type = EventTypes.Track,
            Name = "E" + sequence,
            UserId = sequence % 2 == 0 ? "u" : null,
            AnonymousId = "a",
            MessageId = "m" + sequence,
            Timestamp = new DateTimeOffset(2025, 12, 31, 23, 0, 0, TimeSpan.Zero).AddTicks(sequence * 12345),
            Value = sequence == 1 ? null : sequence * 1.5,
            PropertiesJson = properties,
            ContextJson = "{\"os\":{\"name\":\"iOS\"}}",
            ProfileChanges = sequence == 3 ? new ProfileChanges { SetJson = "{\"plan\":\"pro\"}", SessionStart = true } : null,
            Source = "segment",
            Internal = sequence == 4,
        },
    };

    [Fact]
    public void Records_RoundTripEveryField_AndReadAfterSkipsApplied()
    {
        using (var log = new EventLog(_dir))
        {
            log.Append([Event(1), Event(2)]);
            log.Append([Event(3), Event(4), Event(5, properties: null)]);
        }

        using var reopened = new EventLog(_dir);
        var all = reopened.ReadAfter(0).SelectMany(r => r).ToList();
        Assert.Equal([1L, 2, 3, 4, 5], all.Select(e => e.Sequence));
        Assert.Equal(Event(3) with { Event = Event(3).Event with { ProfileChanges = all[2].Event.ProfileChanges } }, all[2]);
        Assert.Equal("{\"plan\":\"pro\"}", all[2].Event.ProfileChanges!.SetJson);
        Assert.True(all[2].Event.ProfileChanges!.SessionStart);
        Assert.Equal(Event(1).Event, all[0].Event);
        Assert.Equal(Event(2), all[1]);
        Assert.Null(all[4].Event.PropertiesJson);

        Assert.Equal([4L, 5], reopened.ReadAfter(3).SelectMany(r => r).Select(e => e.Sequence));
    }

    [Fact]
    public void TornLastRecord_IsIgnored_EarlierRecordsSurvive()
    {
        using (var log = new EventLog(_dir))
        {
            log.Append([Event(1)]);
            log.Append([Event(2), Event(3)]);
        }

        string segment = Directory.GetFiles(_dir, "*.log").Single();
        // A crash in the middle of the second record's write: its tail never reached the disk.
        using (var file = new FileStream(segment, FileMode.Open)) file.SetLength(file.Length - 10);

        using var reopened = new EventLog(_dir);
        Assert.Equal([1L], reopened.ReadAfter(0).SelectMany(r => r).Select(e => e.Sequence));
        // Appends after a restart go to a fresh segment, never after the torn tail.
        reopened.Append([Event(2)]);
        Assert.Equal([1L, 2], reopened.ReadAfter(0).SelectMany(r => r).Select(e => e.Sequence));
    }

    [Fact]
    public void AFailedWrite_IsCutOff_SoTheRecordsAfterItReadBack()
    {
        LoggedRecord third;
        using (var log = new EventLog(_dir))
        {
            log.Append([Event(1)]);
            // The disk fills in the middle of the second record: the append fails and the client is told so.
            log.FailNextWriteAfter = 20;
            Assert.Throws<IOException>(() => log.Append([Event(2), Event(3)]));
            // The writer logs its next commit under the same sequences; it is acknowledged, so it must survive.
            log.Append([Event(2), Event(3)]);
            third = log.Append([Event(4)])!;
            var buffer = new byte[third.Length];
            log.Read(third, buffer);
            Assert.True(buffer.AsSpan().SequenceEqual(EventLogCodec.Encode([Event(4)])));
        }

        using var reopened = new EventLog(_dir);
        Assert.Equal([1L, 2, 3, 4], reopened.ReadAfter(0).SelectMany(r => r).Select(e => e.Sequence));
    }

    [Fact]
    public void AFailedFirstWrite_OfANewSegment_LeavesNothingBehind()
    {
        using (var log = new EventLog(_dir))
        {
            log.FailNextWriteAfter = 7;
            Assert.Throws<IOException>(() => log.Append([Event(1)]));
            log.Append([Event(1), Event(2)]);
        }

        using var reopened = new EventLog(_dir);
        Assert.Equal([1L, 2], reopened.ReadAfter(0).SelectMany(r => r).Select(e => e.Sequence));
    }

    [Fact]
    public void ASegmentHoldingOnlyATornRecord_IsCut_BeforeItsFirstSequenceIsLoggedAgain()
    {
        using (var log = new EventLog(_dir)) log.Append([Event(1), Event(2)]);
        string segment = Directory.GetFiles(_dir, "*.log").Single();
        // A crash in the middle of the segment's only record: never acknowledged, and sequence 1 will be logged again.
        using (var file = new FileStream(segment, FileMode.Open)) file.SetLength(file.Length - 10);

        using (var reopened = new EventLog(_dir))
        {
            Assert.Empty(reopened.ReadAfter(0));
            reopened.Append([Event(1)]);
            reopened.Append([Event(2)]);
            Assert.Equal(segment, Directory.GetFiles(_dir, "*.log").Single());
        }

        using var again = new EventLog(_dir);
        Assert.Equal([1L, 2], again.ReadAfter(0).SelectMany(r => r).Select(e => e.Sequence));
    }

    [Fact]
    public void CorruptRecord_StopsReadingThatSegment()
    {
        using (var log = new EventLog(_dir))
        {
            log.Append([Event(1)]);
            log.Append([Event(2)]);
        }

        string segment = Directory.GetFiles(_dir, "*.log").Single();
        var bytes = File.ReadAllBytes(segment);
        bytes[^5] ^= 0xFF; // flip a byte inside the second record's payload
        File.WriteAllBytes(segment, bytes);
        using var reopened = new EventLog(_dir);
        Assert.Equal([1L], reopened.ReadAfter(0).SelectMany(r => r).Select(e => e.Sequence));
    }

    [Fact]
    public void Truncate_DeletesOnlySegmentsFullyApplied()
    {
        using var log = new EventLog(_dir, segmentBytes: 1);
        log.Append([Event(1)]);
        log.Append([Event(2)]);
        log.Append([Event(3)]);
        Assert.Equal(3, Directory.GetFiles(_dir, "*.log").Length);
        log.Truncate(2);
        Assert.Single(Directory.GetFiles(_dir, "*.log"));
        Assert.Equal([3L], log.ReadAfter(0).SelectMany(r => r).Select(e => e.Sequence));
    }

    [Fact]
    public void Append_SaysWhereThePayloadLies_AndReadGivesItBack_AcrossSegments()
    {
        using var log = new EventLog(_dir, segmentBytes: 1);
        StoredEvent[][] commits = [[Event(1), Event(2)], [Event(3)], [Event(4), Event(5, properties: null)]];
        var records = commits.Select(c => log.Append(c)!).ToList();
        Assert.Equal(3, records.Select(r => r.Path).Distinct().Count());
        Assert.Equal([2, 1, 2], records.Select(r => r.Count));
        Assert.Equal([2L, 3L, 5L], records.Select(r => r.LastSequence));

        // The store has taken the first commit: its segment goes; the others still read back whole.
        var buffer = new byte[records.Max(r => r.Length) + 10];
        log.Read(records[0], buffer);
        Assert.True(buffer.AsSpan(0, records[0].Length).SequenceEqual(EventLogCodec.Encode(commits[0])));
        log.Truncate(2);
        foreach (int i in new[] { 2, 1 })
        {
            Array.Clear(buffer);
            log.Read(records[i], buffer);
            Assert.True(buffer.AsSpan(0, records[i].Length).SequenceEqual(EventLogCodec.Encode(commits[i])));
        }

        Assert.Null(log.Append([]));
    }
}
