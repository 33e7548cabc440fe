using System.Buffers;
using System.IO.Pipelines;

namespace Lodestar.Server.Http;

/// <summary>Reads a request body whole, refusing it once it passes a limit (without reading the rest into memory).</summary>
public static class RequestBody
{
    /// <summary>The body's bytes, or null when it is longer than <paramref name="limit"/>.</summary>
    public static async Task<byte[]?> ReadAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        using var body = await ReadPooledAsync(request, limit, cancellationToken).ConfigureAwait(false);
        return body?.Memory.ToArray();
    }

    /// <summary>The body in a pooled buffer (dispose it after use), or null when it is longer than <paramref name="limit"/>.</summary>
    public static async Task<PooledBody?> ReadPooledAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit) return null;
        PipeReader reader = request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length > limit)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                return null;
            }

            if (result.IsCompleted)
            {
                // Measured and copied before AdvanceTo: that hands the sequence's segments back to the reader.
                int length = (int)buffer.Length;
                var bytes = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
                buffer.CopyTo(bytes);
                reader.AdvanceTo(buffer.End);
                return new PooledBody(bytes, length);
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
