using System.Buffers;

namespace Lodestar.Server.Http;

/// <summary>
/// A request body in a buffer rented from the shared array pool, so the ingestion endpoints do not allocate (and the
/// collector does not sweep) a fresh array per request: the bodies were the largest single share of their allocations.
/// Dispose it once nothing reads the bytes any more (nothing built from them may keep a reference into them).
/// </summary>
public sealed class PooledBody : IDisposable
{
    private byte[]? _buffer;

    internal PooledBody(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlyMemory<byte> Memory => (_buffer ?? throw new ObjectDisposedException(nameof(PooledBody))).AsMemory(0, Length);

    public ReadOnlySpan<byte> Span => Memory.Span;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer) ArrayPool<byte>.Shared.Return(buffer);
    }
}
