using System.Buffers;
using System.IO.Pipelines;

namespace Lodestar.Server.Http;

/// <summary>Reads a request body whole, refusing it once it passes a limit (without reading the rest into memory).</summary>
public static class RequestBody
{
    /// <summary>The body's bytes, or null when it is longer than <paramref name="limit"/>.</summary>
    public static Task<byte[]?> ReadAsync(HttpRequest request, int limit, CancellationToken cancellationToken) =>
        ReadAsync(request, limit, static buffer => buffer.ToArray(), cancellationToken);

    /// <summary>The body's bytes in a pooled array (the caller disposes it), or null when it is longer than <paramref name="limit"/>.</summary>
    public static Task<PooledBody?> ReadPooledAsync(HttpRequest request, int limit, CancellationToken cancellationToken) =>
        ReadAsync(request, limit, static buffer => new PooledBody(buffer), cancellationToken);

    private static async Task<T?> ReadAsync<T>(HttpRequest request, int limit, Func<ReadOnlySequence<byte>, T> copy, CancellationToken cancellationToken)
        where T : class
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
                var bytes = copy(buffer);
                reader.AdvanceTo(buffer.End);
                return bytes;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
