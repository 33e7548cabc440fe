using System.Buffers;

namespace Lodestar.Server.Http;

/// <summary>
/// A request body copied into an array rented from the shared pool, for handlers that are done with the bytes before
/// they answer (a Segment batch of 100 events is ~47 KB: as a fresh array per request that was ~470 bytes of garbage
/// per event). Give it back with <see cref="Dispose"/> once nothing reads <see cref="Memory"/> any more.
/// </summary>
public sealed class PooledBody : IDisposable
{
    private byte[]? _array;

    internal PooledBody(in ReadOnlySequence<byte> bytes)
    {
        int length = checked((int)bytes.Length);
        _array = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        bytes.CopyTo(_array);
        Length = length;
    }

    public int Length { get; }

    public ReadOnlyMemory<byte> Memory => (_array ?? throw new ObjectDisposedException(nameof(PooledBody))).AsMemory(0, Length);

    public ReadOnlySpan<byte> Span => Memory.Span;

    public void Dispose()
    {
        if (_array is { } array) ArrayPool<byte>.Shared.Return(array);
        _array = null;
    }
}
