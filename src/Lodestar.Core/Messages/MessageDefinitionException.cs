namespace Lodestar.Core.Messages;

/// <summary>A message definition that cannot be saved; <see cref="Field"/> names the part that is wrong.</summary>
public sealed class MessageDefinitionException(string field, string message) : Exception($"{field}: {message}")
{
    public string Field { get; } = field;
}
