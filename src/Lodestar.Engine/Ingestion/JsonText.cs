using System.Globalization;

namespace Lodestar.Engine.Ingestion;

/// <summary>Checks on raw JSON text that the parser lets through but that would break a string later.</summary>
public static class JsonText
{
    /// <summary>
    /// True when the JSON contains a <c>\uD800</c>–<c>\uDFFF</c> escape that is not half of a valid surrogate pair.
    /// System.Text.Json accepts such text, but reading it as a string throws, and DuckDB's JSON functions refuse it.
    /// </summary>
    public static bool HasLoneSurrogateEscape(ReadOnlySpan<byte> json)
    {
        int at = 0;
        while (at < json.Length)
        {
            int found = json[at..].IndexOf("\\u"u8);
            if (found < 0) return false;
            int start = at + found;
            at = start + 2;
            if (!IsEscape(json, start) || !TryHex(json, start, out int value)) continue;
            if (value is >= 0xDC00 and <= 0xDFFF) return true;
            if (value is < 0xD800 or > 0xDBFF) continue;
            // A high surrogate: its low half must follow at once.
            if (start + 12 > json.Length || json[start + 6] != (byte)'\\' || json[start + 7] != (byte)'u' ||
                !TryHex(json, start + 6, out int next) || next is < 0xDC00 or > 0xDFFF)
            {
                return true;
            }

            at = start + 12;
        }

        return false;
    }

    /// <summary>"\u" is an escape when the backslash itself is not escaped (an odd run of backslashes).</summary>
    private static bool IsEscape(ReadOnlySpan<byte> json, int backslash)
    {
        int slashes = 0;
        for (int i = backslash; i >= 0 && json[i] == (byte)'\\'; i--) slashes++;
        return slashes % 2 == 1;
    }

    private static bool TryHex(ReadOnlySpan<byte> json, int backslash, out int value)
    {
        value = 0;
        return backslash + 6 <= json.Length &&
               int.TryParse(json.Slice(backslash + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }
}
