using System.Buffers;
using System.Text;

namespace Lodestar.Engine.Ingestion.Leanplum;

/// <summary>Leanplum's limits on names and parameters (docs: API limits).</summary>
public static class LeanplumNames
{
    public const int MaxNameLength = 140;
    public const int MaxParameters = 50;

    // The characters a name must not contain, for text and for UTF-8 bytes.
    private const string Forbidden = ",|\"{\t\n\r";
    private static readonly SearchValues<char> ForbiddenChars = SearchValues.Create(Forbidden);
    private static readonly SearchValues<byte> ForbiddenBytes = SearchValues.Create(Encoding.ASCII.GetBytes(Forbidden));

    /// <summary>Null when the name is acceptable, else Leanplum-style error text.</summary>
    public static string? Check(string kind, string name)
    {
        if (name.Length > MaxNameLength)
            return $"Invalid {kind} name '{name[..40]}…': names must be at most {MaxNameLength} characters.";
        if (name.Length > 0 && name[0] is '.' or '-')
            return $"Invalid {kind} name '{name}': names must not start with '.' or '-'.";
        if (name.AsSpan().IndexOfAny(ForbiddenChars) >= 0)
            return $"Invalid {kind} name '{name.ReplaceLineEndings(" ")}': names must not contain ',', '|', '\"', '{{', tabs or newlines.";
        return null;
    }

    /// <summary>Whether <see cref="Check"/> accepts a name given as UTF-8; an ASCII name is checked without decoding it.</summary>
    public static bool IsAcceptable(string kind, ReadOnlySpan<byte> name)
    {
        if (!Ascii.IsValid(name)) return Check(kind, Encoding.UTF8.GetString(name)) is null;
        if (name.Length > MaxNameLength) return false;
        if (name.Length > 0 && name[0] is (byte)'.' or (byte)'-') return false;
        return name.IndexOfAny(ForbiddenBytes) < 0;
    }
}
