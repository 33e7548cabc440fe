using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;
using Lodestar.Core.Events;

namespace Lodestar.Engine.Ingestion;

/// <summary>
/// The write-ahead log that makes acknowledged events durable: one checksummed record per group commit,
/// appended and fsynced before any client is answered. DuckDB is then fed in large batches behind it (its
/// appends are several times cheaper in bulk), and the records it holds are dropped. After a crash, records
/// not yet in DuckDB are replayed; a torn last record (never acknowledged) is ignored.
/// <para>
/// A record whose write or fsync fails (a full disk, an I/O error) is cut off again before the append throws, so the
/// next record follows the last good one: recovery stops reading a segment at its first torn record, and every
/// acknowledged record after torn bytes would have been lost at the next start. When even the cut fails, the log
/// refuses further appends until a restart rather than write where it could not be read back.
/// </para>
/// </summary>
public sealed class EventLog : IDisposable
{
    private const int Magic = 0x4C475345; // "ESGL"
    private const int HeaderBytes = 4 + 4 + 4 + 8 + 8;

    private readonly string _directory;
    private readonly long _segmentBytes;
    private readonly SortedDictionary<long, (string Path, long LastSequence)> _segments = [];
    private readonly Lock _segmentsLock = new();
    private FileStream? _current;
    private long _currentFirst;
    private Exception? _broken;
    // The store's reader's handles, by segment path (see Read).
    private readonly Dictionary<string, SafeFileHandle> _readHandles = [];
    private readonly Lock _readLock = new();
    private readonly MemoryStream _buffer = new();

    public EventLog(string directory, long segmentBytes = 64 * 1024 * 1024)
    {
        _directory = directory;
        _segmentBytes = segmentBytes;
        Directory.CreateDirectory(directory);
        foreach (string path in Directory.GetFiles(directory, "*.log"))
        {
            if (long.TryParse(Path.GetFileNameWithoutExtension(path), out long first)) _segments[first] = (path, LastSequenceIn(path));
        }
    }

    /// <summary>Every logged event with a sequence above <paramref name="afterSequence"/>, in order, a record at a time.</summary>
    public IEnumerable<List<StoredEvent>> ReadAfter(long afterSequence)
    {
        List<string> paths;
        lock (_segmentsLock) paths = _segments.Values.Where(s => s.LastSequence > afterSequence).Select(s => s.Path).ToList();
        foreach (string path in paths)
        {
            foreach (var (_, last, payload) in Records(path))
            {
                if (last <= afterSequence) continue;
                using var reader = new BinaryReader(new MemoryStream(payload));
                var events = EventLogCodec.Read(reader);
                events.RemoveAll(e => e.Sequence <= afterSequence);
                if (events.Count > 0) yield return events;
            }
        }
    }

    /// <summary>
    /// Appends one commit's events and forces them to disk. Single writer. Returns where the record's payload lies,
    /// for the event store (see <see cref="LoggedRecord"/>), or null when there was nothing to append.
    /// </summary>
    public LoggedRecord? Append(IReadOnlyList<StoredEvent> events)
    {
        if (events.Count == 0) return null;
        _buffer.SetLength(0);
        _buffer.Position = HeaderBytes;
        using (var writer = new BinaryWriter(_buffer, System.Text.Encoding.UTF8, leaveOpen: true)) EventLogCodec.Write(writer, events);
        var record = _buffer.GetBuffer().AsSpan(0, (int)_buffer.Length);
        var payload = record[HeaderBytes..];
        long first = events[0].Sequence, last = events[^1].Sequence;
        BinaryPrimitives.WriteInt32LittleEndian(record, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(record[4..], payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record[8..], Crc32.HashToUInt32(payload));
        BinaryPrimitives.WriteInt64LittleEndian(record[12..], first);
        BinaryPrimitives.WriteInt64LittleEndian(record[20..], last);

        if (_broken is not null) throw new IOException("The write-ahead log could not cut off a record whose write failed; restart the server.", _broken);
        if (_current is null || _current.Length >= _segmentBytes) OpenSegment(first);
        long start = _current!.Position;
        try
        {
            Write(record);
            long syncStart = Stopwatch.GetTimestamp();
            _current.Flush(flushToDisk: true);
            IngestionMetrics.LogSyncSeconds.Record(Stopwatch.GetElapsedTime(syncStart).TotalSeconds);
        }
        catch (Exception failure) when (failure is IOException or UnauthorizedAccessException)
        {
            CutBackTo(start, failure);
            throw;
        }

        string path;
        lock (_segmentsLock)
        {
            path = _segments[_currentFirst].Path;
            _segments[_currentFirst] = (path, last);
        }

        return new LoggedRecord(path, start + HeaderBytes, payload.Length, events.Count, last);
    }

    /// <summary>Test seam: the next record's write stops after this many bytes and fails, as on a full disk.</summary>
    internal int? FailNextWriteAfter { get; set; }

    private void Write(ReadOnlySpan<byte> record)
    {
        if (FailNextWriteAfter is { } written)
        {
            FailNextWriteAfter = null;
            _current!.Write(record[..Math.Min(written, record.Length)]);
            throw new IOException("No space left on device (injected).");
        }

        _current!.Write(record);
    }

    // Cuts the current segment back to where the failed record began (the bytes may be torn, or whole but not known
    // to be on disk), through a handle of its own: the append-mode stream cannot seek back. The next append reopens
    // the segment at its new end.
    private void CutBackTo(long start, Exception failure)
    {
        string path;
        lock (_segmentsLock) path = _segments[_currentFirst].Path;
        try
        {
            _current!.Dispose();
        }
        catch (IOException)
        {
            // Disposing flushes nothing (the stream is unbuffered); a failure here changes nothing on disk.
        }

        _current = null;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read, bufferSize: 0);
            file.SetLength(start);
            file.Flush(flushToDisk: true);
            _current = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0);
        }
        catch (Exception cut) when (cut is IOException or UnauthorizedAccessException)
        {
            _broken = new AggregateException(failure, cut);
        }
    }

    /// <summary>
    /// Reads a record's payload back into <paramref name="destination"/>: from the OS's page cache as a rule, since it
    /// was written moments before. The record's segment must not have been truncated yet.
    /// </summary>
    public void Read(LoggedRecord record, Span<byte> destination)
    {
        SafeFileHandle handle;
        lock (_readLock)
        {
            if (!_readHandles.TryGetValue(record.Path, out handle!))
            {
                handle = File.OpenHandle(record.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                _readHandles[record.Path] = handle;
            }
        }

        var into = destination[..record.Length];
        for (int read = 0; read < into.Length;)
        {
            int n = RandomAccess.Read(handle, into[read..], record.Offset + read);
            if (n == 0) throw new EndOfStreamException($"The log segment {record.Path} ends before its record at {record.Offset}.");
            read += n;
        }
    }

    /// <summary>Deletes whole segments every event of which DuckDB already holds.</summary>
    public void Truncate(long appliedSequence)
    {
        List<(long First, string Path)> done;
        lock (_segmentsLock)
        {
            done = _segments.Where(s => s.Value.LastSequence <= appliedSequence && s.Key != _currentFirst)
                .Select(s => (s.Key, s.Value.Path)).ToList();
            foreach (var (first, _) in done) _segments.Remove(first);
        }

        foreach (var (_, path) in done)
        {
            CloseReadHandle(path);
            File.Delete(path);
        }
    }

    private void CloseReadHandle(string path)
    {
        lock (_readLock)
        {
            if (_readHandles.Remove(path, out var handle)) handle.Dispose();
        }
    }

    public void Dispose()
    {
        _current?.Dispose();
        _buffer.Dispose();
        lock (_readLock)
        {
            foreach (var handle in _readHandles.Values) handle.Dispose();
            _readHandles.Clear();
        }
    }

    private void OpenSegment(long first)
    {
        _current?.Dispose();
        string path = Path.Combine(_directory, $"{first:D19}.log");
        // A segment of this name exists only when it holds no intact record (its first sequence is being logged
        // again after a restart): its bytes are a torn write, and appending after them would make the new records
        // unreadable. Keep only what reads back.
        if (File.Exists(path)) CutToIntact(path);
        _current = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0);
        _currentFirst = first;
        lock (_segmentsLock) _segments[first] = (path, first - 1);
    }

    private static void CutToIntact(string path)
    {
        long intact = 0;
        foreach (var (_, _, payload) in Records(path)) intact += HeaderBytes + payload.Length;
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read, bufferSize: 0);
        if (file.Length == intact) return;
        file.SetLength(intact);
        file.Flush(flushToDisk: true);
    }

    private static long LastSequenceIn(string path)
    {
        long last = 0;
        foreach (var (_, recordLast, _) in Records(path)) last = recordLast;
        return last;
    }

    /// <summary>The intact records of a segment; reading stops at the first torn or corrupt one.</summary>
    private static IEnumerable<(long First, long Last, byte[] Payload)> Records(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var header = new byte[HeaderBytes];
        while (true)
        {
            if (stream.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false) < HeaderBytes) yield break;
            if (BinaryPrimitives.ReadInt32LittleEndian(header) != Magic) yield break;
            int length = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(4));
            if (length < 0 || length > stream.Length - stream.Position) yield break;
            var payload = new byte[length];
            if (stream.ReadAtLeast(payload, length, throwOnEndOfStream: false) < length) yield break;
            if (Crc32.HashToUInt32(payload) != BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8))) yield break;
            yield return (BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(12)), BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(20)), payload);
        }
    }
}
