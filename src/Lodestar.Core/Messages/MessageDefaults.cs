namespace Lodestar.Core.Messages;

/// <summary>Leanplum's defaults and bounds for message definitions.</summary>
public static class MessageDefaults
{
    /// <summary>Leanplum's default priority; 1 is the highest.</summary>
    public const int Priority = 1000;

    /// <summary>A control and up to 15 variants.</summary>
    public const int MaxVariants = 16;
}
