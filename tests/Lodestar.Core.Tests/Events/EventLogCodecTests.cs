using System.Text;
using Lodestar.Core.Events;

namespace Lodestar.Core.Tests.Events;

/// <summary>
/// The store appends events straight from their log encoding, so the in-place reader must give back every field the
/// writer wrote: nulls apart from empty texts, texts in any script, and texts long enough for a multi-byte length.
/// </summary>
public sealed class EventLogCodecTests
{
    private static StoredEvent Event(long sequence, string? userId, string? properties, double? value, string name = "Open") => new()
    {
        Sequence = sequence,
        AppId = "app-é",
        PersonId = "person-" + sequence,
        MergedPersonId = sequence % 2 == 0 ? "old-" + sequence : null,
        ReceivedAt = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero).AddTicks(sequence),
        Event = new IncomingEvent
        {
            Type = EventTypes.Track,
            Name = name,
            UserId = userId,
            AnonymousId = sequence == 1 ? "" : "anon",
            PreviousId = null,
            MessageId = "m" + sequence,
            Timestamp = new DateTimeOffset(2026, 2, 28, 23, 59, 59, TimeSpan.Zero).AddTicks(7 * sequence),
            Value = value,
            PropertiesJson = properties,
            ContextJson = sequence == 3 ? null : """{"locale":"ja-JP","app":{"name":"写真"}}""",
            ProfileChanges = sequence == 2 ? new ProfileChanges { SetJson = """{"plan":"pro"}""", SessionStart = true } : null,
            Source = "segment",
            Internal = sequence == 3,
        },
    };

    [Fact]
    public void TheInPlaceReader_GivesBackEveryFieldTheWriterWrote()
    {
        string huge = "{\"text\":\"" + new string('x', 20_000) + "\"}"; // a three-byte length prefix
        StoredEvent[] events =
        [
            Event(1, userId: "", properties: """{"emoji":"😀","quote":"\"q\""}""", value: null),
            Event(2, userId: "user-2", properties: huge, value: -0.5, name: "Ünïcödé ✓"),
            Event(3, userId: null, properties: null, value: 1e300),
        ];

        var record = EventLogCodec.Encode(events);
        var reader = new EncodedEventReader(record);
        int read = 0;
        while (reader.Next(out var e))
        {
            var expected = events[read++];
            var x = expected.Event;
            Assert.Equal(expected.Sequence, e.Sequence);
            Assert.Equal(expected.AppId, e.AppId.ToString());
            Assert.Equal(expected.PersonId, e.PersonId.ToString());
            Assert.Equal(expected.MergedPersonId, e.MergedPersonId.ToString());
            Assert.Equal(expected.ReceivedAt.UtcTicks, e.ReceivedAtTicks);
            Assert.Equal(x.Type, e.Type.ToString());
            Assert.Equal(x.Name, e.Name.ToString());
            Assert.Equal(x.UserId, e.UserId.ToString());
            Assert.Equal(x.UserId is null, e.UserId.IsNull);
            Assert.Equal(x.AnonymousId, e.AnonymousId.ToString());
            Assert.True(e.PreviousId.IsNull);
            Assert.Equal(x.MessageId, e.MessageId.ToString());
            Assert.Equal(x.Timestamp.UtcTicks, e.TimestampTicks);
            Assert.Equal(x.Value, e.Value);
            Assert.Equal(x.PropertiesJson, e.Properties.ToString());
            Assert.Equal(x.ContextJson, e.Context.ToString());
            Assert.Equal(x.ProfileChanges is null, e.ProfileChanges.IsNull);
            Assert.Equal(x.Source, e.Source.ToString());
            Assert.Equal(x.Internal, e.Internal);
            if (x.PropertiesJson is { } properties) Assert.True(e.Properties.Bytes.SequenceEqual(Encoding.UTF8.GetBytes(properties)));
        }

        Assert.Equal(events.Length, read);
        // The object reader and the in-place reader agree on the profile changes too.
        using var objects = new BinaryReader(new MemoryStream(record));
        var decoded = EventLogCodec.Read(objects);
        Assert.Equal("""{"plan":"pro"}""", decoded[1].Event.ProfileChanges!.SetJson);
        Assert.True(decoded[1].Event.ProfileChanges!.SessionStart);
    }

    [Fact]
    public void AnEmptyRecord_HasNoEvents()
    {
        var reader = new EncodedEventReader(EventLogCodec.Encode([]));
        Assert.False(reader.Next(out _));
    }
}
