using Lodestar.Core.Content;
using Lodestar.Core.Experiments;
using Lodestar.Core.Identity;
using Lodestar.Core.Profiles;
using Lodestar.Core.Segments;
using Lodestar.Server.AbTests;
using Lodestar.Server.Inbox;
using Lodestar.Server.Variables;
using Lodestar.Storage.Sqlite;

namespace Lodestar.Server.Content;

/// <summary>
/// Registers variables, A/B tests on variables and the app inbox (their stores and their parts of what the SDKs get).
/// The assignment and inbox stores are also erased with a person, and the inbox moves with a login merge.
/// </summary>
public static class ContentServices
{
    public static IServiceCollection AddVariablesTestsAndInbox(this IServiceCollection services)
    {
        services.AddSingleton<IVariableOverridesStore, SqliteVariableOverridesStore>();
        services.AddSingleton<SqliteAbTestStore>();
        services.AddSingleton<IAbTestStore>(sp => sp.GetRequiredService<SqliteAbTestStore>());
        services.AddSingleton<IPersonDataEraser>(sp => sp.GetRequiredService<SqliteAbTestStore>());
        services.AddSingleton<SqliteInboxStore>();
        services.AddSingleton<IInboxStore>(sp => sp.GetRequiredService<SqliteInboxStore>());
        services.AddSingleton<IPersonDataEraser>(sp => sp.GetRequiredService<SqliteInboxStore>());
        services.AddSingleton<IPersonDataMerger>(sp => sp.GetRequiredService<SqliteInboxStore>());
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
