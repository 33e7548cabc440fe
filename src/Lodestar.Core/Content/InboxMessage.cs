namespace Lodestar.Core.Content;

/// <summary>An app-inbox message as sent: one send reaches many persons, each getting their own copy with read state.</summary>
/// <param name="Id">A number, so the SDKs' <c>&lt;messageId&gt;##&lt;n&gt;</c> inbox ids split as they expect.</param>
/// <param name="DataJson">Free-form key/values (JSON object text).</param>
/// <param name="OpenActionJson">The open action in Leanplum's form, e.g. <c>{"__name__":"Open URL","URL":"…"}</c> (JSON object text), or null.</param>
public sealed record InboxMessage(
    long Id,
    string AppId,
    string Title,
    string? Subtitle,
    string? ImageUrl,
    string? DataJson,
    string? OpenActionJson,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt);

/// <summary>One person's copy of an inbox message.</summary>
/// <param name="InboxId">What the SDK calls the message: <c>&lt;messageId&gt;##1</c>.</param>
public sealed record InboxItem(string InboxId, InboxMessage Message, DateTimeOffset DeliveredAt, bool IsRead);
