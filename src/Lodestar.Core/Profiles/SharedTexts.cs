namespace Lodestar.Core.Profiles;

/// <summary>
/// A small, lossy pool of short texts many profiles repeat (device models, OS versions, locales, time zones), so
/// they hold one instance between them. A fixed table indexed by the text's hash: a text whose slot holds another is
/// put in its place, so the pool never grows and a rare text costs one slot for a while. Thread-safe: a slot is one
/// reference, read and written whole; two threads racing for one lose nothing but the sharing.
/// </summary>
public static class SharedTexts
{
    private const int Slots = 4096;
    private const int LongestShared = 64;

    private static readonly string?[] Table = new string?[Slots];

    /// <summary>The pooled instance equal to <paramref name="text"/>, or <paramref name="text"/> itself, now pooled.</summary>
    public static string Share(string text)
    {
        if (text.Length > LongestShared) return text;
        ref string? slot = ref Table[(int)((uint)string.GetHashCode(text, StringComparison.Ordinal) % Slots)];
        var pooled = Volatile.Read(ref slot);
        if (pooled is not null && pooled == text) return pooled;
        Volatile.Write(ref slot, text);
        return text;
    }
}
