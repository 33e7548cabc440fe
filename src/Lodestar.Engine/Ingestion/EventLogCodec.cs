using System.Text.Json;
using Lodestar.Core.Events;

namespace Lodestar.Engine.Ingestion;

/// <summary>Binary form of stored events in the durable log: compact, and no reflection on the hot path.</summary>
public static class EventLogCodec
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

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
        for (int i = 0; i < count; i++)
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
            events.Add(new StoredEvent
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
            });
        }

        return events;
    }

    private static void WriteNullable(BinaryWriter writer, string? value)
    {
        writer.Write(value is not null);
        if (value is not null) writer.Write(value);
    }

    private static string? ReadNullable(BinaryReader reader) => reader.ReadBoolean() ? reader.ReadString() : null;
}
