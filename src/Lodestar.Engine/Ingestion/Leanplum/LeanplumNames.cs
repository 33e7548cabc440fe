namespace Lodestar.Engine.Ingestion.Leanplum;

/// <summary>Leanplum's limits on names and parameters (docs: API limits).</summary>
public static class LeanplumNames
{
    public const int MaxNameLength = 140;
    public const int MaxParameters = 50;

    /// <summary>Null when the name is acceptable, else Leanplum-style error text.</summary>
    public static string? Check(string kind, string name)
    {
        if (name.Length > MaxNameLength)
            return $"Invalid {kind} name '{name[..40]}…': names must be at most {MaxNameLength} characters.";
        if (name.Length > 0 && name[0] is '.' or '-')
            return $"Invalid {kind} name '{name}': names must not start with '.' or '-'.";
        if (name.AsSpan().IndexOfAny(",|\"{\t\n\r") >= 0)
            return $"Invalid {kind} name '{name.ReplaceLineEndings(" ")}': names must not contain ',', '|', '\"', '{{', tabs or newlines.";
        return null;
    }
}
