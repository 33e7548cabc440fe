using Lodestar.Core.Events;

namespace Lodestar.Engine.Ingestion;

/// <summary>
/// One logged commit on its way to the event store, kept as the log's bytes rather than as event objects. Events
/// wait for the store for hundreds of milliseconds, and for seconds while DuckDB checkpoints; as objects they outlived
/// the young generations, so collections copied them, and the store then turned each of their texts back into UTF-8.
/// As bytes they cost the collector nothing and the store appends the texts as they are.
/// </summary>
public sealed class LoggedRecord
{
    private static readonly RecordSlabs Slabs = new();

    private readonly RecordSlabs.Slab? _slab;
    private readonly int _offset;
    private readonly int _length;
    private byte[]? _bytes;

    private LoggedRecord(byte[] bytes, RecordSlabs.Slab? slab, int offset, int length, int count, long lastSequence)
    {
        _bytes = bytes;
        _slab = slab;
        _offset = offset;
        _length = length;
        Count = count;
        LastSequence = lastSequence;
    }

    /// <summary>How many events the record holds.</summary>
    public int Count { get; }

    /// <summary>The sequence of the record's last event.</summary>
    public long LastSequence { get; }

    /// <summary>The record's payload (<see cref="EventLogCodec"/>'s form), until <see cref="Release"/>.</summary>
    public ReadOnlyMemory<byte> Payload => (_bytes ?? throw new ObjectDisposedException(nameof(LoggedRecord))).AsMemory(_offset, _length);

    internal static LoggedRecord Copy(ReadOnlySpan<byte> payload, int count, long lastSequence)
    {
        var (bytes, slab, offset) = Slabs.Copy(payload);
        return new LoggedRecord(bytes, slab, offset, payload.Length, count, lastSequence);
    }

    /// <summary>Gives the bytes back; the record cannot be read after this.</summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref _bytes, null) is not null && _slab is not null) Slabs.Release(_slab);
    }
}

/// <summary>
/// Large buffers the records are packed into one after another, reused once every record in them is released. Records
/// are released in about the order they were made, so a slab frees soon after the store has taken its records; a
/// pool of power-of-two arrays wasted up to half of each and kept hundreds of MB after a backlog.
/// </summary>
internal sealed class RecordSlabs
{
    private const int SlabBytes = 4 << 20;
    // Slabs kept for reuse beyond those in use; more are left to the collector.
    private const int KeptSlabs = 8;

    private readonly Lock _gate = new();
    private readonly Stack<Slab> _free = new();
    private Slab? _current;

    internal sealed class Slab
    {
        public readonly byte[] Bytes = new byte[SlabBytes];
        public int Used;
        public int Live;
    }

    public (byte[] Bytes, Slab? Slab, int Offset) Copy(ReadOnlySpan<byte> payload)
    {
        if (payload.Length > SlabBytes) return (payload.ToArray(), null, 0);
        lock (_gate)
        {
            if (_current is null || _current.Used + payload.Length > SlabBytes)
            {
                if (_current is { Live: 0 }) Keep(_current);
                _current = _free.Count > 0 ? _free.Pop() : new Slab();
                _current.Used = 0;
            }

            var slab = _current;
            int offset = slab.Used;
            payload.CopyTo(slab.Bytes.AsSpan(offset));
            slab.Used += payload.Length;
            slab.Live++;
            return (slab.Bytes, slab, offset);
        }
    }

    public void Release(Slab slab)
    {
        lock (_gate)
        {
            if (--slab.Live == 0 && slab != _current) Keep(slab);
        }
    }

    private void Keep(Slab slab)
    {
        if (_free.Count < KeptSlabs) _free.Push(slab);
    }
}
