using System.IO.Hashing;
using System.Text;

namespace Lodestar.Engine.Ingestion;

/// <summary>
/// Remembers the messageIds seen in the last <c>window</c> as 128-bit hashes, in a few time-sliced
/// generations, so expiry drops a whole generation at once instead of tracking a time per id. Each generation is a
/// <see cref="HashKeySet"/>: 12-byte slots in native memory, 15 to 26 bytes per id, where a <see cref="HashSet{T}"/>
/// took about 48 and three times that while it grew. Single-threaded: only the pipeline's writer touches it.
/// <para>
/// With <c>maxIds</c>, memory is bounded too: a generation also ends once it holds an eighth of the cap, and the
/// oldest generations are dropped while the window holds more than the cap, so it then remembers the most recent
/// ids only (the window is shortened, never the newest ids forgotten).
/// </para>
/// </summary>
/// <param name="window">How long an id is remembered.</param>
/// <param name="maxIds">Most ids remembered (about 15 to 26 bytes each); 0: no bound but the window.</param>
public sealed class DeduplicationWindow(TimeSpan window, long maxIds = 0)
{
    private const int Generations = 8;

    private readonly TimeSpan _slice = window / Generations;
    private readonly long _generationIds = maxIds > 0 ? Math.Max(1, maxIds / Generations) : long.MaxValue;
    private readonly LinkedList<(DateTimeOffset Start, HashKeySet Keys)> _generations = new();
    private long _count;

    public long Count => _count;

    /// <summary>
    /// When ids were last forgotten before the end of the window because of the cap: the start of the oldest
    /// generation kept (ids received since are remembered). Null while the cap has never shortened the window.
    /// </summary>
    public DateTimeOffset? ShortenedSince { get; private set; }

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

    /// <summary>Adds a key not in the window yet, seen at <paramref name="receivedAt"/> (the server's receive time).</summary>
    public void Add(UInt128 key, DateTimeOffset receivedAt)
    {
        var newest = _generations.Last;
        if (newest is null || receivedAt >= newest.Value.Start + _slice || newest.Value.Keys.Count >= _generationIds)
        {
            newest = _generations.AddLast((receivedAt, new HashKeySet()));
            while (maxIds > 0 && _count > maxIds - _generationIds && _generations.First != newest)
            {
                DropOldest();
                ShortenedSince = _generations.First!.Value.Start;
            }
        }

        if (newest.Value.Keys.Add(key)) _count++;
    }

    /// <summary>Forgets generations that ended before <paramref name="now"/> minus the window.</summary>
    public void Expire(DateTimeOffset now)
    {
        while (_generations.First is { } oldest && oldest.Value.Start + _slice < now - window) DropOldest();
    }

    private void DropOldest()
    {
        var oldest = _generations.First!.Value.Keys;
        _generations.RemoveFirst();
        _count -= oldest.Count;
        oldest.Dispose();
    }

}
