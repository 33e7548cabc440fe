using System.Text.Json.Nodes;
using Lodestar.Core.Content;
using Lodestar.Engine.Ingestion.Leanplum;
using Lodestar.Server.Variables;

namespace Lodestar.Server.Inbox;

/// <summary>
/// The app inbox through the SDK: <c>getNewsfeedMessages</c> gets the person's messages with read state (the shape
/// JS <c>LeanplumInbox</c> reads); <c>start</c> asks the SDK to download them (<c>syncNewsfeed</c>) when the ids the
/// device holds differ from the inbox, or the inbox changed (sent, read, deleted) since this device last downloaded.
/// </summary>
public sealed class InboxContentPart(IInboxStore inbox) : IPersonContentPart
{
    public ValueTask ContributeAsync(PersonContentRequest request, PersonContent content, CancellationToken cancellationToken)
    {
        if (request.PersonId is not { } personId) return ValueTask.CompletedTask;
        switch (request.Action)
        {
            case LeanplumActions.GetNewsfeedMessages:
                long version = inbox.Version(request.AppId, personId);
                foreach (var item in inbox.Messages(request.AppId, personId, request.Now)) content.NewsfeedMessages[item.InboxId] = Shape(item);
                if (request.DeviceId.Length > 0) inbox.MarkSynced(request.AppId, personId, request.DeviceId, version);
                break;
            case LeanplumActions.Start or LeanplumActions.Restart:
                var current = inbox.Messages(request.AppId, personId, request.Now).Select(i => i.InboxId).ToHashSet(StringComparer.Ordinal);
                bool idsDiffer = request.HeldInboxIds is { } held && !current.SetEquals(held);
                bool changed = (inbox.SyncedVersion(request.AppId, personId, request.DeviceId) ?? 0) != inbox.Version(request.AppId, personId);
                content.SyncNewsfeed = (content.SyncNewsfeed ?? false) || idsDiffer || changed;
                break;
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>One message as the SDKs read it: <c>{deliveryTimestamp, expirationTimestamp?, isRead, messageData: {action, parentCampaignId, vars}}</c>.</summary>
    public static JsonObject Shape(InboxItem item)
    {
        var message = item.Message;
        var vars = new JsonObject { ["Title"] = message.Title };
        if (message.Subtitle is not null) vars["Subtitle"] = message.Subtitle;
        if (message.ImageUrl is not null) vars["Image"] = message.ImageUrl;
        vars["Data"] = VariablesContentPart.Parse(message.DataJson) ?? new JsonObject();
        var openAction = VariablesContentPart.Parse(message.OpenActionJson);
        if (openAction is not null) vars["Open action"] = openAction;
        var shaped = new JsonObject
        {
            ["deliveryTimestamp"] = item.DeliveredAt.ToUnixTimeMilliseconds(),
            ["isRead"] = item.IsRead,
            ["messageData"] = new JsonObject
            {
                ["action"] = openAction?["__name__"]?.GetValue<string>() ?? "Open URL",
                ["parentCampaignId"] = message.Id,
                ["vars"] = vars,
            },
        };
        if (message.ExpiresAt is { } expires) shaped["expirationTimestamp"] = expires.ToUnixTimeMilliseconds();
        return shaped;
    }
}
