using System.Globalization;
using System.Text.Json;

namespace Lodestar.Engine.Ingestion.Leanplum;

/// <summary>
/// The parameters of one Leanplum API call, whichever way they came: query-string or form text, or JSON values
/// from a JSON body or a <c>multi</c> item. Readers accept every form the SDKs send: objects as JSON or as JSON
/// text, booleans as <c>true</c> or <c>"true"</c>, numbers as numbers or decimal/scientific text.
/// A <c>multi</c> item falls back to the outer call for the parameters the native SDKs send only there.
/// </summary>
public sealed class LeanplumArgs
{
    /// <summary>Parameters an item of a <c>multi</c> call takes from the outer call when it has none of its own.</summary>
    private static readonly HashSet<string> Inherited = new(StringComparer.Ordinal)
    {
        LeanplumParams.AppId, LeanplumParams.ClientKey, LeanplumParams.Client, LeanplumParams.SdkVersion, LeanplumParams.DevMode,
        LeanplumParams.DeviceId, LeanplumParams.UserId, LeanplumParams.VersionName, LeanplumParams.Time,
    };

    private readonly Dictionary<string, Arg> _values = new(StringComparer.Ordinal);
    private readonly LeanplumArgs? _outer;

    public LeanplumArgs(LeanplumArgs? outer = null) => _outer = outer;

    public int Count => _values.Count;

    /// <summary>An item of a <c>multi</c> call.</summary>
    public static LeanplumArgs FromObject(JsonElement item, LeanplumArgs? outer)
    {
        var args = new LeanplumArgs(outer);
        foreach (var property in item.EnumerateObject()) args._values[property.Name] = new Arg(null, property.Value);
        return args;
    }

    public void SetText(string name, string value) => _values[name] = new Arg(value, default);

    public void SetJson(string name, JsonElement value) => _values[name] = new Arg(null, value);

    public bool Has(string name) => TryGet(name, out _);

    public string? String(string name)
    {
        if (!TryGet(name, out var arg)) return null;
        if (arg.Text is not null) return arg.Text;
        return arg.Json.ValueKind switch
        {
            JsonValueKind.String => StringOf(arg.Json, name),
            JsonValueKind.Number => arg.Json.GetRawText(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => throw new LeanplumFormatException($"{name} must be a string."),
        };
    }

    /// <summary>A string that must be present and not empty.</summary>
    public string Required(string name) =>
        String(name) is { Length: > 0 } value ? value : throw new LeanplumFormatException($"Missing argument {name}.");

    public bool? Bool(string name)
    {
        if (!TryGet(name, out var arg)) return null;
        if (arg.Text is null)
        {
            if (arg.Json.ValueKind is JsonValueKind.True or JsonValueKind.False) return arg.Json.GetBoolean();
            if (arg.Json.ValueKind == JsonValueKind.Number) return arg.Json.GetDouble() != 0;
            if (arg.Json.ValueKind != JsonValueKind.String) throw new LeanplumFormatException($"{name} must be true or false.");
        }

        string text = arg.Text ?? StringOf(arg.Json, name);
        if (text.Length == 0) return null;
        return ParseBool(text) ?? throw new LeanplumFormatException($"{name} must be true or false, not '{Truncate(text)}'.");
    }

    public double? Number(string name)
    {
        if (!TryGet(name, out var arg)) return null;
        if (arg.Text is null)
        {
            if (arg.Json.ValueKind == JsonValueKind.Number) return arg.Json.GetDouble();
            if (arg.Json.ValueKind != JsonValueKind.String) throw new LeanplumFormatException($"{name} must be a number.");
        }

        string text = arg.Text ?? StringOf(arg.Json, name);
        if (text.Length == 0) return null;
        return ParseNumber(text) ?? throw new LeanplumFormatException($"{name} must be a number, not '{Truncate(text)}'.");
    }

    /// <summary>"true" or "false" in any case, or "1" or "0"; null for any other text.</summary>
    public static bool? ParseBool(string text) =>
        text.Equals("true", StringComparison.OrdinalIgnoreCase) || text == "1" ? true
        : text.Equals("false", StringComparison.OrdinalIgnoreCase) || text == "0" ? false
        : null;

    /// <summary>Decimal or scientific notation (Android sends <c>Double.toString</c>: <c>1.461783515473E9</c>).</summary>
    public static double? ParseNumber(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value) ? value : null;

    /// <summary>A JSON object, sent as an object or as JSON text; null when absent or empty.</summary>
    public JsonElement? Object(string name) => Json(name, JsonValueKind.Object, "a JSON object");

    /// <summary>A JSON array, sent as an array or as JSON text; null when absent or empty.</summary>
    public JsonElement? Array(string name) => Json(name, JsonValueKind.Array, "a JSON array");

    /// <summary>A list of strings: a JSON array, JSON text of one, or a comma-separated list.</summary>
    public IReadOnlyList<string>? StringList(string name)
    {
        if (!TryGet(name, out var arg)) return null;
        string? text = arg.Text ?? (arg.Json.ValueKind == JsonValueKind.String ? StringOf(arg.Json, name) : null);
        if (text is not null && !text.TrimStart().StartsWith('['))
            return text.Length == 0 ? null : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var array = Array(name);
        if (array is null) return null;
        var list = new List<string>();
        foreach (var item in array.Value.EnumerateArray())
        {
            list.Add(item.ValueKind switch
            {
                JsonValueKind.String => StringOf(item, name),
                JsonValueKind.Number => item.GetRawText(),
                _ => throw new LeanplumFormatException($"{name} must be a list of strings."),
            });
        }

        return list;
    }

    /// <summary>
    /// The items of a <c>multi</c> call: <c>data</c> as a JSON array, or as JSON text of an array or of
    /// <c>{"data":[…]}</c> (the native SDKs' form field). An item that is not an object is null.
    /// </summary>
    public IReadOnlyList<LeanplumArgs?> MultiItems()
    {
        const string Shape = "data must be a JSON array of actions, or the JSON text of {\"data\":[…]}.";
        if (!TryGet(LeanplumParams.Data, out var arg)) throw new LeanplumFormatException("Missing argument data.");
        JsonElement data = arg.Json;
        string? text = arg.Text ?? (arg.Json.ValueKind == JsonValueKind.String ? StringOf(arg.Json, LeanplumParams.Data) : null);
        if (text is not null)
        {
            try
            {
                data = JsonElement.Parse(text);
            }
            catch (JsonException)
            {
                throw new LeanplumFormatException(Shape);
            }
        }

        if (data.ValueKind == JsonValueKind.Object && data.TryGetProperty(LeanplumParams.Data, out var inner)) data = inner;
        if (data.ValueKind != JsonValueKind.Array) throw new LeanplumFormatException(Shape);
        var items = new List<LeanplumArgs?>(data.GetArrayLength());
        foreach (var item in data.EnumerateArray()) items.Add(item.ValueKind == JsonValueKind.Object ? FromObject(item, this) : null);
        return items;
    }

    /// <summary>A JSON string's text; an escape that is half a surrogate pair is the client's error, not ours.</summary>
    private static string StringOf(JsonElement value, string name)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw new LeanplumFormatException($"{name} contains a \\uD800–\\uDFFF escape that is not a valid surrogate pair.");
        }
    }

    /// <summary>Objects and arrays are stored as JSON text, which must stay readable (no lone surrogate escapes).</summary>
    private static JsonElement Checked(JsonElement value, string name) =>
        JsonText.HasLoneSurrogateEscape(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(value))
            ? throw new LeanplumFormatException($"{name} contains a \\uD800–\\uDFFF escape that is not a valid surrogate pair.")
            : value;

    /// <summary>Names of the parameters given directly (not inherited).</summary>
    public IEnumerable<string> Names => _values.Keys;

    private JsonElement? Json(string name, JsonValueKind kind, string description)
    {
        if (!TryGet(name, out var arg)) return null;
        if (arg.Text is null && arg.Json.ValueKind == kind) return Checked(arg.Json, name);
        if (arg.Text is null && arg.Json.ValueKind == JsonValueKind.Null) return null;
        string? text = arg.Text ?? (arg.Json.ValueKind == JsonValueKind.String ? StringOf(arg.Json, name) : null);
        if (text is null) throw new LeanplumFormatException($"{name} must be {description}.");
        if (string.IsNullOrWhiteSpace(text) || text == "null") return null;
        try
        {
            var parsed = JsonElement.Parse(text);
            if (parsed.ValueKind == kind) return Checked(parsed, name);
        }
        catch (JsonException)
        {
            // Reported below with the parameter's name.
        }

        throw new LeanplumFormatException($"{name} must be {description} (or its JSON text).");
    }

    private bool TryGet(string name, out Arg arg)
    {
        if (_values.TryGetValue(name, out arg)) return !arg.IsNull;
        if (_outer is not null && Inherited.Contains(name)) return _outer.TryGet(name, out arg);
        return false;
    }

    private static string Truncate(string text) => text.Length > 40 ? text[..40] + "…" : text;

    private readonly record struct Arg(string? Text, JsonElement Json)
    {
        public bool IsNull => Text is null && Json.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined;
    }
}
