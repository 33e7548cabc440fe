using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lodestar.Server.Leanplum;

/// <summary>One item of a Leanplum answer: <c>{"success":…, …fields, "error":{"message"}, "reqId"}</c>.</summary>
public sealed class LeanplumResult
{
    private static readonly LeanplumResult SuccessWithoutFields = new() { Success = true };

    public bool Success { get; init; }

    public string? Error { get; init; }

    public string? Warning { get; init; }

    /// <summary>Extra fields of the item (vars, messages, newsfeedMessages…).</summary>
    public JsonObject? Fields { get; init; }

    /// <summary>Echoed back: the Android SDK finds its answers by it.</summary>
    public string? RequestId { get; init; }

    public static LeanplumResult Ok(JsonObject? fields = null, string? warning = null) =>
        fields is null && warning is null ? SuccessWithoutFields : new() { Success = true, Fields = fields, Warning = warning };

    public static LeanplumResult Fail(string message) => new() { Success = false, Error = message };

    public LeanplumResult WithRequestId(string? requestId) =>
        requestId is null ? this : new() { Success = Success, Error = Error, Warning = Warning, Fields = Fields, RequestId = requestId };

    public void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteBoolean("success", Success);
        if (Fields is not null)
        {
            foreach (var (name, value) in Fields)
            {
                writer.WritePropertyName(name);
                if (value is null) writer.WriteNullValue();
                else value.WriteTo(writer);
            }
        }

        if (Error is not null)
        {
            writer.WriteStartObject("error");
            writer.WriteString("message", Error);
            writer.WriteEndObject();
        }

        if (Warning is not null)
        {
            writer.WriteStartObject("warning");
            writer.WriteString("message", Warning);
            writer.WriteEndObject();
        }

        if (RequestId is not null) writer.WriteString("reqId", RequestId);
        writer.WriteEndObject();
    }
}
