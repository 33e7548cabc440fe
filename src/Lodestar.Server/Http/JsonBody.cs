using System.Text.Json;

namespace Lodestar.Server.Http;

/// <summary>Reads a management-API JSON body, turning every way it can be wrong into a message that says how.</summary>
public static class JsonBody
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Skip,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public const int MaxBytes = 4 * 1024 * 1024;

    /// <summary>The body, or the error to answer with. An empty body reads as <paramref name="whenEmpty"/>.</summary>
    public static async Task<(T? Value, string? Error)> ReadAsync<T>(HttpRequest request, T? whenEmpty = default)
    {
        var bytes = await RequestBody.ReadAsync(request, MaxBytes, request.HttpContext.RequestAborted).ConfigureAwait(false);
        if (bytes is null) return (default, $"The body is larger than {MaxBytes / 1024 / 1024} MB.");
        if (bytes.Length == 0)
            return whenEmpty is null ? (default, "The request needs a JSON body.") : (whenEmpty, null);
        try
        {
            var value = JsonSerializer.Deserialize<T>(bytes, Options);
            return value is null ? (default, "The body must be a JSON object, not null.") : (value, null);
        }
        catch (JsonException ex)
        {
            string where = ex.Path is { Length: > 1 } path ? $" at {path}" : "";
            return (default, $"The body is not valid{where}: {ex.Message.Split(" Path:")[0]}");
        }
    }
}
