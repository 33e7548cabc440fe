using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lodestar.Core.Segments;

/// <summary>The JSON type of a value as segment tests see it.</summary>
public enum SegmentValueKind
{
    /// <summary>Absent, or JSON null.</summary>
    Unset,
    String,
    Number,
    Boolean,
    List,
    Object,
}

/// <summary>
/// A value classified for segment tests: an attribute, a technology field, an event property or a test's operand.
/// The batch SQL mirrors person values through this same classification, so both evaluations see the same types.
/// </summary>
public readonly record struct SegmentValue(
    SegmentValueKind Kind, string? Text = null, double Number = 0, bool Bool = false, IReadOnlyList<SegmentValue>? List = null)
{
    public bool IsUnset => Kind == SegmentValueKind.Unset;

    public IReadOnlyList<SegmentValue> Items => List ?? [];

    /// <summary>The date a string value holds, if it is an ISO-8601 date (see <see cref="TryParseDate"/>).</summary>
    public DateTimeOffset? Date => Kind == SegmentValueKind.String && TryParseDate(Text, out var date) ? date : null;

    public static SegmentValue OfString(string? text) => text is null ? default : new(SegmentValueKind.String, text);

    public static SegmentValue OfNumber(double number) => new(SegmentValueKind.Number, Number: number);

    public static SegmentValue OfBoolean(bool value) => new(SegmentValueKind.Boolean, Bool: value);

    /// <summary>Classifies a JSON value. Numbers become doubles; lists keep their elements classified.</summary>
    public static SegmentValue From(JsonNode? node)
    {
        switch (node)
        {
            case null: return default;
            case JsonArray array:
                var items = new SegmentValue[array.Count];
                for (int i = 0; i < items.Length; i++) items[i] = From(array[i]);
                return new(SegmentValueKind.List, List: items);
            case JsonObject: return new(SegmentValueKind.Object);
            case JsonValue value:
                switch (value.GetValueKind())
                {
                    case JsonValueKind.String: return OfString(value.GetValue<string>());
                    case JsonValueKind.Number: return OfNumber(ToDouble(value));
                    case JsonValueKind.True: return OfBoolean(true);
                    case JsonValueKind.False: return OfBoolean(false);
                    default: return default;
                }

            default: return default;
        }
    }

    /// <summary>Equality of eq / in: same JSON type (string, number, boolean) and the same value; lists and objects never equal.</summary>
    public static bool ScalarEquals(in SegmentValue actual, in SegmentValue operand) => operand.Kind switch
    {
        SegmentValueKind.String => actual.Kind == SegmentValueKind.String && string.Equals(actual.Text, operand.Text, StringComparison.Ordinal),
        SegmentValueKind.Number => actual.Kind == SegmentValueKind.Number && actual.Number == operand.Number,
        SegmentValueKind.Boolean => actual.Kind == SegmentValueKind.Boolean && actual.Bool == operand.Bool,
        _ => false,
    };

    /// <summary>
    /// Dates are ISO-8601 strings that start with <c>yyyy-MM-dd</c>: a date alone (midnight UTC), or a date and time
    /// with an optional offset (UTC when none). Anything else is not a date.
    /// </summary>
    public static bool TryParseDate(string? text, out DateTimeOffset date)
    {
        date = default;
        if (text is null || text.Length < 10 || !char.IsAsciiDigit(text[0]) || text[4] != '-' || text[7] != '-') return false;
        if (text.Length == 10)
        {
            if (!DateTime.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)) return false;
            date = new DateTimeOffset(day, TimeSpan.Zero);
            return true;
        }

        if (text[10] is not ('T' or 't' or ' ')) return false;
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out date);
    }

    private static double ToDouble(JsonValue value)
    {
        if (value.TryGetValue<double>(out double d)) return d;
        if (value.TryGetValue<long>(out long l)) return l;
        if (value.TryGetValue<int>(out int i)) return i;
        if (value.TryGetValue<decimal>(out decimal m)) return (double)m;
        return double.Parse(value.ToJsonString(), CultureInfo.InvariantCulture);
    }
}
