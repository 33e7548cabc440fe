namespace Lodestar.Engine.Segments;

/// <summary>The grain key of a person: app id and canonical person id, joined by a character neither contains.</summary>
public static class PersonKey
{
    private const char Separator = '\u001F';

    public static string Of(string appId, string personId) => string.Concat(appId, Separator.ToString(), personId);

    public static (string AppId, string PersonId) Parse(string key)
    {
        int at = key.IndexOf(Separator, StringComparison.Ordinal);
        return (key[..at], key[(at + 1)..]);
    }
}
