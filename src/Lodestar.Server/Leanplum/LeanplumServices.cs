using Lodestar.Core.Content;
using Lodestar.Core.Sessions;
using Lodestar.Engine.Ingestion.Leanplum;
using Lodestar.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Lodestar.Server.Leanplum;

/// <summary>Registers the Leanplum-compatible API's services.</summary>
public static class LeanplumServices
{
    public static IServiceCollection AddLeanplum(this IServiceCollection services)
    {
        services.AddOptions<LeanplumOptions>().BindConfiguration(LeanplumOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<LeanplumEventMapper>();
        services.AddSingleton<ISessionStateStore, SqliteSessionStateStore>();
        services.AddSingleton<IVariableDefaultsStore, SqliteVariableDefaultsStore>();
        // Variables, A/B tests, in-app messages and the inbox each register an IPersonContentPart.
        services.TryAddSingleton<IPersonContentSource, ComposedPersonContentSource>();
        services.AddSingleton<LeanplumSessions>();
        services.AddHostedService<LeanplumSessionFlusher>();
        services.AddSingleton<LeanplumUserData>();
        services.AddSingleton<LeanplumCallHandler>();
        return services;
    }
}
