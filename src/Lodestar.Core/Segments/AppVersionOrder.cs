using System.Text;

namespace Lodestar.Core.Segments;

/// <summary>
/// The order of app versions for <c>{"technology": "appVersion", "op": "gte", "value": "2.10"}</c>: versions compare
/// component by component (split on <c>.</c>), numerically, so 1.10 &gt; 1.9 and 2 = 2.0 = 2.0.0. A component's text
/// after its leading digits ("1-beta", "3rc1") compares ordinally after the number, so 2.1 &lt; 2.1-beta &lt; 2.1.1
/// (no pre-release rules). A leading "v" is ignored. Text without any digit is not a version.
/// </summary>
/// <remarks>
/// The order is defined by <see cref="Key"/>, an ASCII text whose ordinal order is the version order, so the batch
/// evaluator in SQL (which compares stored keys) and <see cref="SegmentEvaluator"/> give the same answers.
/// </remarks>
public static class AppVersionOrder
{
    // ulong.MaxValue has 20 digits; a longer number keeps its length as a prefix so it still sorts after shorter ones.
    private const int Width = 20;

    /// <summary>The sortable key of a version, or null when the text is not a version (no digit).</summary>
    public static string? Key(string? version)
    {
        if (string.IsNullOrWhiteSpace(version)) return null;
        var text = version.AsSpan().Trim();
        if (text[0] is 'v' or 'V') text = text[1..];
        if (text.IndexOfAnyInRange('0', '9') < 0) return null;

        var components = new List<string>();
        foreach (var range in text.Split('.'))
        {
            var part = text[range];
            int digits = 0;
            while (digits < part.Length && char.IsAsciiDigit(part[digits])) digits++;
            var number = part[..digits].TrimStart('0');
            var key = new StringBuilder(Width + part.Length);
            if (number.Length > Width) key.Append('~').Append(number.Length.ToString("D4", System.Globalization.CultureInfo.InvariantCulture));
            else key.Append('0', Width - number.Length);
            key.Append(number);
            foreach (char c in part[digits..]) key.Append(c < 0x80 ? c : '?');
            components.Add(key.ToString());
        }

        // Trailing zero components do not count: 2 = 2.0 = 2.0.0.
        string zero = new('0', Width);
        int count = components.Count;
        while (count > 1 && components[count - 1] == zero) count--;
        return string.Join('.', components.Take(count));
    }

    /// <summary>Compares two versions by <see cref="Key"/>; null when either is not a version.</summary>
    public static int? Compare(string? left, string? right) =>
        Key(left) is { } l && Key(right) is { } r ? string.CompareOrdinal(l, r) : null;

    /// <summary>Whether <paramref name="version"/> passes an ordering test (gt, gte, lt, lte) against the operand.</summary>
    public static bool Matches(string? version, ValueTest test)
    {
        ArgumentNullException.ThrowIfNull(test);
        if (Compare(version, test.Operand.Text) is not { } order) return false;
        return test.Op switch
        {
            ValueOperator.Gt => order > 0,
            ValueOperator.Gte => order >= 0,
            ValueOperator.Lt => order < 0,
            ValueOperator.Lte => order <= 0,
            _ => throw new ArgumentException($"{test.Op} is not an ordering test.", nameof(test)),
        };
    }

    /// <summary>Whether a test on the app version uses the version order (gt, gte, lt, lte).</summary>
    public static bool IsOrdering(ValueOperator op) => op is ValueOperator.Gt or ValueOperator.Gte or ValueOperator.Lt or ValueOperator.Lte;
}
