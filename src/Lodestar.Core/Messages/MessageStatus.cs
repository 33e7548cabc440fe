namespace Lodestar.Core.Messages;

/// <summary>Where a message is in its life: only active messages are shipped to the SDKs.</summary>
public enum MessageStatus
{
    Active,
    Paused,
    Finished,
}
