using System.Net;
using System.Net.Sockets;
using Lodestar.Core.Profiles;
using Lodestar.Core.Segments;
using Lodestar.Engine.Ingestion;
using Lodestar.Engine.Segments;
using Lodestar.Storage.Sqlite;
using Orleans.Configuration;

namespace Lodestar.Server.Engine;

/// <summary>
/// The per-user engine in the embedded host: an Orleans silo with localhost clustering inside the server process,
/// and the real-time segment router feeding its person grains.
/// </summary>
public static class PerUserEngine
{
    public static WebApplicationBuilder AddPerUserEngine(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<EngineOptions>().BindConfiguration(EngineOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var options = builder.Configuration.GetSection(EngineOptions.Section).Get<EngineOptions>() ?? new EngineOptions();
        // The silo's start-up report (its options, one block each) would bury Lodestar's own lines; "Logging:LogLevel:Orleans" turns it back on.
        if (builder.Configuration["Logging:LogLevel:Orleans"] is null) builder.Logging.AddFilter("Orleans", LogLevel.Warning);
        builder.UseOrleans(silo =>
        {
            // Port 0 picks a free loopback port, so any number of hosts (tests start many in one process) never collide;
            // a cluster id of its own keeps each host's silo alone in its cluster.
            int siloPort = options.SiloPort == 0 ? FreeLoopbackPort() : options.SiloPort;
            silo.UseLocalhostClustering(siloPort, options.GatewayPort, serviceId: "lodestar", clusterId: $"lodestar-{Guid.NewGuid():N}");
            silo.Configure<ClusterMembershipOptions>(o => o.NumMissedProbesLimit = 3);
            // The directory cache remembers where other silos' activations live; the default's million entries are
            // allocated up front (19 MB of the heap, measured), and a silo alone in its cluster never looks one up.
            silo.Configure<GrainDirectoryOptions>(o => o.CacheSize = 10_000);
        });

        services.AddSingleton<ISegmentMembershipStore, SqliteSegmentMembershipStore>();
        services.AddSingleton<IPersonDataEraser, SegmentMembershipEraser>();
        services.AddSingleton<ILiveSegments>(sp => new SavedLiveSegments(sp.GetService<ISegmentStore>()));
        services.AddSingleton<PersonHistoryLoader>();
        services.AddSingleton<SegmentRouter>();
        services.AddSingleton<IStoredEventConsumer>(sp => sp.GetRequiredService<SegmentRouter>());
        return builder;
    }

    /// <summary>Registered after the projector and before the pipeline: it replays after the projector caught up, and stops after the pipeline drained.</summary>
    public static IServiceCollection AddSegmentRouterService(this IServiceCollection services) => services
        .AddHostedService(sp => sp.GetRequiredService<PersonHistoryLoader>())
        .AddHostedService(sp => sp.GetRequiredService<SegmentRouter>());

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
