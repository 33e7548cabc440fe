using System.Text.Json.Nodes;

namespace Lodestar.Core.Content;

/// <summary>
/// What the SDK shows one person: variable diffs over the code defaults, the A/B variants they are in, in-app
/// messages, inbox messages. Every part is a JSON value in the shape the Leanplum SDKs read.
/// </summary>
public sealed record PersonContent
{
    public static PersonContent Empty => new();

    /// <summary>Diffs over the app's code defaults (<c>{}</c> = no change).</summary>
    public JsonObject Vars { get; init; } = [];

    /// <summary><c>[{"id": n}, …]</c>.</summary>
    public JsonArray Variants { get; init; } = [];

    /// <summary>In-app messages keyed by message id.</summary>
    public JsonObject Messages { get; init; } = [];

    /// <summary>Inbox messages keyed by <c>messageId##n</c>.</summary>
    public JsonObject NewsfeedMessages { get; init; } = [];

    /// <summary>
    /// Whether <c>start</c> tells the SDK to download the inbox (<c>syncNewsfeed</c>); set by the inbox part, which
    /// knows what changed. Null: whenever <see cref="NewsfeedMessages"/> is not empty.
    /// </summary>
    public bool? SyncNewsfeed { get; set; }
}
