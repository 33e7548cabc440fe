using Lodestar.Core.Content;
using Lodestar.Core.Messages;
using Lodestar.Core.Profiles;
using Lodestar.Core.Segments;
using Lodestar.Storage.DuckDb;
using Lodestar.Storage.Sqlite;

namespace Lodestar.Server.Messages;

/// <summary>Registers in-app messages: their store, their part of the SDK content, their segment references.</summary>
public static class MessageServices
{
    public static IServiceCollection AddMessages(this IServiceCollection services)
    {
        services.AddSingleton<IMessageStore, SqliteMessageStore>();
        services.AddSingleton<IMessageEventReader>(sp => new DuckDbMessageEventReader(sp.GetRequiredService<DuckDbEventStore>()));
        services.AddSingleton<IMessageImpressionStore, SqliteMessageImpressionStore>();
        services.AddSingleton<MessageImpressions>();
        services.AddSingleton<IPersonDataEraser>(sp => sp.GetRequiredService<MessageImpressions>());
        services.AddHostedService<MessageImpressionFolder>();
        services.AddSingleton<IPersonContentPart, MessageContentPart>();
        services.AddSingleton<ISegmentReferenceSource, MessageSegmentReferences>();
        return services;
    }
}
