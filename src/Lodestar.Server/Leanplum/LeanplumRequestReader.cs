using System.Text;
using System.Text.Json;
using Lodestar.Engine.Ingestion.Leanplum;
using Lodestar.Server.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Lodestar.Server.Leanplum;

/// <summary>
/// Gathers a Leanplum call's parameters: the query string merged with the body, whatever the body is — JSON
/// under any content type (the JS SDK sends <c>text/plain</c>), url-encoded form (Android, iOS, no content
/// type at all), or multipart form. Body values win over query values of the same name.
/// </summary>
public static class LeanplumRequestReader
{
    /// <summary>The parameters of a multipart call (<see cref="IsMultipart"/>), or what was wrong; other bodies go to <see cref="Parse"/>.</summary>
    public static async Task<(LeanplumArgs Args, string? Error)> ReadMultipartAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        var args = new LeanplumArgs();
        foreach (var (name, values) in request.Query) args.SetText(name, values.ToString());
        if (request.ContentLength > maxBytes) return (args, TooLarge(maxBytes));
        var form = await request.ReadFormAsync(cancellationToken).ConfigureAwait(false);
        foreach (var (name, values) in form) args.SetText(name, values.ToString());
        return (args, null);
    }

    /// <summary>A multipart form, which only <see cref="ReadMultipartAsync"/> reads.</summary>
    public static bool IsMultipart(HttpRequest request) =>
        request.HasFormContentType && request.ContentType?.Contains("multipart/", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>The query's parameters for <see cref="LeanplumMultiFastPath"/>; null when one is repeated.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>>? QueryParameters(HttpRequest request)
    {
        if (request.Query.Count == 0) return [];
        var parameters = new List<KeyValuePair<string, string>>(request.Query.Count);
        foreach (var (name, values) in request.Query)
        {
            if (values.Count != 1) return null;
            parameters.Add(new(name, values.ToString()));
        }

        return parameters;
    }

    /// <summary>
    /// The parameters of a call whose (non-multipart) body has been read; null bytes mean it was too large. The JSON
    /// document returned points into <paramref name="bytes"/>: keep them until it is disposed.
    /// </summary>
    public static (LeanplumArgs Args, JsonDocument? Body, string? Error) Parse(HttpRequest request, ReadOnlyMemory<byte>? bytes, int maxBytes)
    {
        var args = new LeanplumArgs();
        foreach (var (name, values) in request.Query) args.SetText(name, values.ToString());
        if (bytes is not { } body) return (args, null, TooLarge(maxBytes));
        var content = body.Span;
        if (content.StartsWith(Encoding.UTF8.Preamble)) content = content[Encoding.UTF8.Preamble.Length..];
        content = content.TrimStart(" \t\r\n"u8);
        if (content.IsEmpty) return (args, null, null);

        if (content[0] is (byte)'{' or (byte)'[')
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(body[(body.Length - content.Length)..]);
            }
            catch (JsonException ex)
            {
                return (args, null, $"The body is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine}).");
            }

            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array)
            {
                // A bare array is the list of a multi call.
                args.SetJson(LeanplumParams.Data, root);
            }
            else
            {
                foreach (var property in root.EnumerateObject()) args.SetJson(property.Name, property.Value);
            }

            return (args, document, null);
        }

        foreach (var (name, values) in QueryHelpers.ParseQuery(Encoding.UTF8.GetString(content))) args.SetText(name, values.ToString());
        return (args, null, null);
    }

    private static string TooLarge(int maxBytes) => $"The body is larger than {maxBytes / 1024 / 1024} MB. Send fewer actions per call.";
}
