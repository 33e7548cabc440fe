namespace Lodestar.Core;

/// <summary>Anchors the assembly for reflection and tests.</summary>
public static class AssemblyMarker;
