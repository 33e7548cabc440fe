using Lodestar.Core.Content;
using Lodestar.Core.Experiments;
using Lodestar.Core.Segments;
using Lodestar.Server.AbTests;
using Lodestar.Server.Inbox;
using Lodestar.Server.Variables;
using Lodestar.Storage.Sqlite;

namespace Lodestar.Server.Content;

/// <summary>Registers variables, A/B tests on variables and the app inbox (their stores and their parts of what the SDKs get).</summary>
public static class ContentServices
{
    public static IServiceCollection AddVariablesTestsAndInbox(this IServiceCollection services)
    {
        services.AddSingleton<IVariableOverridesStore, SqliteVariableOverridesStore>();
        services.AddSingleton<IAbTestStore, SqliteAbTestStore>();
        services.AddSingleton<IInboxStore, SqliteInboxStore>();
        services.AddSingleton<AbTestAssigner>();
        services.AddSingleton<ISegmentReferenceSource, AbTestSegmentReferences>();
        services.AddSingleton<IPersonContentPart, VariablesContentPart>();
        services.AddSingleton<IPersonContentPart, InboxContentPart>();
        return services;
    }

    public static RouteGroupBuilder MapVariablesTestsAndInbox(this RouteGroupBuilder api)
    {
        api.MapVariablesApi();
        api.MapAbTestsApi();
        api.MapInboxApi();
        return api;
    }
}
