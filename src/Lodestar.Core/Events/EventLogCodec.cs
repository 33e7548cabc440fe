using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Lodestar.Core.Events;

/// <summary>
/// Binary form of stored events in the durable log, which is also the form the event store appends from: compact, no
/// reflection on the hot path, and its texts UTF-8 (<see cref="BinaryWriter"/>'s strings), so a store can take them
/// as they are (<see cref="EncodedEvent"/>).
/// </summary>
public static class EventLogCodec
{
    /// <summary>How <see cref="IncomingEvent.ProfileChanges"/> is written as JSON, here and wherever it is stored.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The events as one record's payload.</summary>
    public static byte[] Encode(IReadOnlyList<StoredEvent> events)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true)) Write(writer, events);
        return buffer.ToArray();
    }

    public static void Write(BinaryWriter writer, IReadOnlyList<StoredEvent> events)
    {
        writer.Write(events.Count);
        foreach (var stored in events)
        {
            var e = stored.Event;
            writer.Write(stored.Sequence);
            writer.Write(stored.AppId);
            writer.Write(stored.PersonId);
            WriteNullable(writer, stored.MergedPersonId);
            writer.Write(stored.ReceivedAt.UtcTicks);
            writer.Write(e.Type);
            writer.Write(e.Name);
            WriteNullable(writer, e.UserId);
            WriteNullable(writer, e.AnonymousId);
            WriteNullable(writer, e.PreviousId);
            WriteNullable(writer, e.MessageId);
            writer.Write(e.Timestamp.UtcTicks);
            writer.Write(e.Value.HasValue);
            if (e.Value is { } value) writer.Write(value);
            WriteNullable(writer, e.PropertiesJson);
            WriteNullable(writer, e.ContextJson);
            WriteNullable(writer, e.ProfileChanges is null ? null : JsonSerializer.Serialize(e.ProfileChanges, Json));
            writer.Write(e.Source);
            writer.Write(e.Internal);
        }
    }

    public static List<StoredEvent> Read(BinaryReader reader)
    {
        int count = reader.ReadInt32();
        var events = new List<StoredEvent>(count);
        for (int i = 0; i < count; i++) events.Add(ReadOne(reader));
        return events;
    }

    private static StoredEvent ReadOne(BinaryReader reader)
    {
        long sequence = reader.ReadInt64();
        string appId = reader.ReadString();
        string personId = reader.ReadString();
        string? merged = ReadNullable(reader);
        var receivedAt = new DateTimeOffset(reader.ReadInt64(), TimeSpan.Zero);
        string type = reader.ReadString();
        string name = reader.ReadString();
        string? userId = ReadNullable(reader);
        string? anonymousId = ReadNullable(reader);
        string? previousId = ReadNullable(reader);
        string? messageId = ReadNullable(reader);
        var timestamp = new DateTimeOffset(reader.ReadInt64(), TimeSpan.Zero);
        double? value = reader.ReadBoolean() ? reader.ReadDouble() : null;
        string? properties = ReadNullable(reader);
        string? context = ReadNullable(reader);
        string? changes = ReadNullable(reader);
        string source = reader.ReadString();
        bool isInternal = reader.ReadBoolean();
        return new StoredEvent
        {
            Sequence = sequence,
            AppId = appId,
            PersonId = personId,
            MergedPersonId = merged,
            ReceivedAt = receivedAt,
            Event = new IncomingEvent
            {
                Type = type,
                Name = name,
                UserId = userId,
                AnonymousId = anonymousId,
                PreviousId = previousId,
                MessageId = messageId,
                Timestamp = timestamp,
                Value = value,
                PropertiesJson = properties,
                ContextJson = context,
                ProfileChanges = changes is null ? null : JsonSerializer.Deserialize<ProfileChanges>(changes, Json),
                Source = source,
                Internal = isInternal,
            },
        };
    }

    private static void WriteNullable(BinaryWriter writer, string? value)
    {
        writer.Write(value is not null);
        if (value is not null) writer.Write(value);
    }

    private static string? ReadNullable(BinaryReader reader) => reader.ReadBoolean() ? reader.ReadString() : null;
}

/// <summary>
/// Reads a record's events in place, one at a time, their texts as UTF-8 spans into the record: nothing is allocated.
/// The layout is <see cref="EventLogCodec.Write"/>'s.
/// </summary>
public ref struct EncodedEventReader
{
    private readonly ReadOnlySpan<byte> _record;
    private int _position;
    private int _left;

    public EncodedEventReader(ReadOnlySpan<byte> record)
    {
        _record = record;
        _left = BinaryPrimitives.ReadInt32LittleEndian(record);
        _position = 4;
    }

    /// <summary>Reads the next event into <paramref name="e"/>; false after the last.</summary>
    public bool Next(out EncodedEvent e)
    {
        e = default;
        if (_left == 0) return false;
        _left--;
        e.Sequence = Int64();
        e.AppId = Text();
        e.PersonId = Text();
        e.MergedPersonId = NullableText();
        e.ReceivedAtTicks = Int64();
        e.Type = Text();
        e.Name = Text();
        e.UserId = NullableText();
        e.AnonymousId = NullableText();
        e.PreviousId = NullableText();
        e.MessageId = NullableText();
        e.TimestampTicks = Int64();
        e.Value = Bool() ? BinaryPrimitives.ReadDoubleLittleEndian(Take(8)) : null;
        e.Properties = NullableText();
        e.Context = NullableText();
        e.ProfileChanges = NullableText();
        e.Source = Text();
        e.Internal = Bool();
        return true;
    }

    private long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    private bool Bool() => Take(1)[0] != 0;

    private Utf8Text Text()
    {
        // BinaryWriter's length prefix: 7 bits a byte, low groups first.
        int length = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = Take(1)[0];
            length |= (b & 0x7F) << shift;
            if (b < 0x80) break;
            if (shift >= 28) throw new InvalidDataException("A text length in the event record is malformed.");
        }

        return new Utf8Text(Take(length));
    }

    private Utf8Text NullableText() => Bool() ? Text() : default;

    private ReadOnlySpan<byte> Take(int count)
    {
        var span = _record.Slice(_position, count);
        _position += count;
        return span;
    }
}

/// <summary>A text field of an encoded event: UTF-8 bytes, or null (the default).</summary>
public readonly ref struct Utf8Text
{
    private readonly bool _present;

    public Utf8Text(ReadOnlySpan<byte> bytes)
    {
        Bytes = bytes;
        _present = true;
    }

    public ReadOnlySpan<byte> Bytes { get; }

    public bool IsNull => !_present;

    public override string? ToString() => _present ? Encoding.UTF8.GetString(Bytes) : null;
}

/// <summary>One event of a record, its texts pointing into the record (see <see cref="EncodedEventReader"/>).</summary>
public ref struct EncodedEvent
{
    public long Sequence;
    public Utf8Text AppId;
    public Utf8Text PersonId;
    public Utf8Text MergedPersonId;
    public long ReceivedAtTicks;
    public Utf8Text Type;
    public Utf8Text Name;
    public Utf8Text UserId;
    public Utf8Text AnonymousId;
    public Utf8Text PreviousId;
    public Utf8Text MessageId;
    public long TimestampTicks;
    public double? Value;
    public Utf8Text Properties;
    public Utf8Text Context;
    public Utf8Text ProfileChanges;
    public Utf8Text Source;
    public bool Internal;
}
