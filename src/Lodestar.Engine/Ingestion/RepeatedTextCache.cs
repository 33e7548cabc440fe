using System.Collections.Concurrent;
using System.IO.Hashing;
using System.Text;

namespace Lodestar.Engine.Ingestion;

/// <summary>
/// One string instance for a UTF-8 text that recurs: a device sends the same <c>context</c> with every event, so
/// decoding it once and sharing the string saves most of an event's allocation, the memory of the events in flight
/// between the log, the store and the profile fold, and makes the fold's "same context as last time" check a
/// reference compare. Bounded: once the texts kept would pass <c>maxBytes</c> it starts over. Thread-safe.
/// </summary>
public sealed class RepeatedTextCache(long maxBytes, int maxTextBytes)
{
    // What one entry costs besides its text: the entry, its dictionary node, two object headers.
    private const int EntryOverhead = 96;

    private readonly ConcurrentDictionary<ulong, Entry> _entries = new();
    private long _bytes;

    /// <summary>The text of <paramref name="utf8"/>, the same instance as last time when it was seen before.</summary>
    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > maxTextBytes) return Encoding.UTF8.GetString(utf8);
        ulong hash = XxHash3.HashToUInt64(utf8);
        if (_entries.TryGetValue(hash, out var entry))
        {
            // A different text with the same hash is decoded as usual (and not cached).
            bool same = entry.Utf8 is null ? Ascii.Equals(utf8, entry.Text) : utf8.SequenceEqual(entry.Utf8);
            return same ? entry.Text : Encoding.UTF8.GetString(utf8);
        }

        string text = Encoding.UTF8.GetString(utf8);
        // An ASCII text (most contexts) is compared with the string itself, which its readers touch next anyway: no
        // second copy of its bytes to keep (about a third of an entry) and to miss in the processor's caches.
        byte[]? copy = Ascii.IsValid(utf8) ? null : utf8.ToArray();
        long size = (copy?.Length ?? 0) + (2L * text.Length) + EntryOverhead;
        if (Interlocked.Add(ref _bytes, size) > maxBytes)
        {
            _entries.Clear();
            Interlocked.Exchange(ref _bytes, size);
        }

        _entries.TryAdd(hash, new Entry(copy, text));
        return text;
    }

    /// <summary>A text and, when it is not ASCII, its UTF-8 bytes to compare with.</summary>
    private sealed record Entry(byte[]? Utf8, string Text);
}
