using System.IO.Hashing;
using System.Text;

namespace Lodestar.Engine.Ingestion;

/// <summary>
/// Remembers the messageIds seen in the last <c>window</c> as 128-bit hashes, in a few time-sliced
/// generations, so expiry drops a whole generation at once instead of tracking a time per id. Each generation is a
/// <see cref="HashKeySet"/>: 12-byte slots in native memory, 15 to 26 bytes per id, where a <see cref="HashSet{T}"/>
/// took about 48 and three times that while it grew. Single-threaded: only the pipeline's writer touches it.
/// </summary>
public sealed class DeduplicationWindow(TimeSpan window)
{
    private const int Generations = 8;

    private readonly TimeSpan _slice = window / Generations;
    private readonly LinkedList<(DateTimeOffset Start, HashKeySet Keys)> _generations = new();

    public int Count => _generations.Sum(g => g.Keys.Count);

    /// <summary>Bytes the remembered ids take (native memory, outside the managed heap).</summary>
    public long SlotBytes => _generations.Sum(g => g.Keys.SlotBytes);

    public static UInt128 Key(string appId, string messageId)
    {
        int length = Encoding.UTF8.GetMaxByteCount(appId.Length + messageId.Length + 1);
        Span<byte> buffer = length <= 1024 ? stackalloc byte[length] : new byte[length];
        int written = Encoding.UTF8.GetBytes(appId, buffer);
        buffer[written++] = 0;
        written += Encoding.UTF8.GetBytes(messageId, buffer[written..]);
        return XxHash128.HashToUInt128(buffer[..written]);
    }

    public bool Contains(UInt128 key)
    {
        foreach (var (_, keys) in _generations)
        {
            if (keys.Contains(key)) return true;
        }

        return false;
    }

    /// <summary>Adds a key seen at <paramref name="receivedAt"/> (the server's receive time).</summary>
    public void Add(UInt128 key, DateTimeOffset receivedAt)
    {
        var newest = _generations.Last;
        if (newest is null || receivedAt >= newest.Value.Start + _slice)
        {
            newest = _generations.AddLast((receivedAt, new HashKeySet()));
        }

        newest.Value.Keys.Add(key);
    }

    /// <summary>Forgets generations that ended before <paramref name="now"/> minus the window.</summary>
    public void Expire(DateTimeOffset now)
    {
        while (_generations.First is { } oldest && oldest.Value.Start + _slice < now - window)
        {
            _generations.RemoveFirst();
            oldest.Value.Keys.Dispose();
        }
    }

}
