using System.Text.Json.Nodes;

namespace Lodestar.Core.Messages;

/// <summary>
/// One arm of an A/B test on a message. It has its own numeric SDK message id, so impressions and actions the SDK
/// tracks name the variant directly. <see cref="Vars"/> is merged over the message's vars (objects key by key).
/// </summary>
public sealed record MessageVariant(long Id, string Name, double Weight, JsonObject Vars);
