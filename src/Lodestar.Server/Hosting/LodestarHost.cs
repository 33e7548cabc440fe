using System.Text.Json;
using System.Text.Json.Serialization;
using Lodestar.Analytics;
using Lodestar.Analytics.Catalog;
using Lodestar.Analytics.Execution;
using Lodestar.Core.Apps;
using Lodestar.Core.Events;
using Lodestar.Core.Identity;
using Lodestar.Core.Profiles;
using Lodestar.Core.Segments;
using Lodestar.Engine.Ingestion;
using Lodestar.Engine.Ingestion.Segment;
using Lodestar.Engine.Profiles;
using Lodestar.Server.Apps;
using Lodestar.Server.Export;
using Lodestar.Server.Catalog;
using Lodestar.Server.Content;
using Lodestar.Server.Engine;
using Lodestar.Server.Http;
using Lodestar.Server.Materialized;
using Lodestar.Server.Leanplum;
using Lodestar.Server.Messages;
using Lodestar.Server.Insights;
using Lodestar.Server.Segment;
using Lodestar.Server.Segments;
using Lodestar.Server.Statistics;
using Lodestar.Server.Users;
using Lodestar.Storage.DuckDb;
using Lodestar.Storage.Sqlite;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Lodestar.Server.Hosting;

/// <summary>Wires the server: stores, engine, APIs. <c>Program</c> and the CLI's <c>serve</c> both use it.</summary>
public static class LodestarHost
{
    public const string DefaultUrl = "http://127.0.0.1:5000";

    public static WebApplication Build(string[] args)
    {
        // appsettings.json ships beside the binaries; ./data stays relative to the directory the server is started from.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]))
            builder.WebHost.UseUrls(DefaultUrl);
        builder.AddLodestar();
        var app = builder.Build();
        app.MapLodestar();
        return app;
    }

    public static WebApplicationBuilder AddLodestar(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<LodestarOptions>().BindConfiguration(LodestarOptions.Section).ValidateOnStart();
        services.AddOptions<IngestionOptions>().BindConfiguration(IngestionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        // The Orleans silo starts before the engine's hosted services (registered below) and stops after them.
        builder.AddPerUserEngine();

        services.AddSingleton(sp => new SqliteDatabase(DataPath(sp, "state.sqlite")));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<LodestarOptions>>().Value;
            return new DuckDbEventStore(DataPath(sp, "events.duckdb"), options.DuckDbMemoryLimit, options.DuckDbCheckpointThreshold, options.DuckDbQueryThreads, options.DuckDbIngestMemoryLimit);
        });
        services.AddSingleton<IEventStore>(sp => sp.GetRequiredService<DuckDbEventStore>());
        services.AddSingleton<IAppStore, SqliteAppStore>();
        services.AddSingleton<IIdentityStore, SqliteIdentityStore>();
        services.AddSingleton<IProfileStore, SqliteProfileStore>();
        services.AddSingleton<AdminToken>();
        services.AddSingleton<AdminAuthorization>();
        services.AddSingleton<PersonLookup>();
        services.AddSingleton<ReadYourWrites>();
        services.AddOptions<AnalyticsOptions>().BindConfiguration(AnalyticsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IEventDefinitionStore, SqliteEventDefinitionStore>();
        services.AddSingleton<IProfileAttributeReader, SqliteProfileAttributeReader>();
        services.AddSingleton<AutoMaterializer>();
        services.AddSingleton<DuckDbQueryRunner>();
        services.AddSingleton<AnalyticsEngine>();
        services.AddSingleton<EventCatalog>();
        // The segments feature registers the ISegmentAudience content and journeys read through; the fallback stays for hosts without it.
        services.AddSegments();
        services.TryAddSingleton<ISegmentAudience, NoSegmentAudience>();

        services.AddSingleton<EventValidator>();
        services.AddSingleton<SegmentMessageParser>();
        services.AddLeanplum();
        services.AddVariablesTestsAndInbox();
        services.AddMessages();
        services.AddSingleton(sp => new EventLog(DataPath(sp, "log")));
        services.AddSingleton<EventStoreApplier>();
        services.AddSingleton<ProfileProjector>();
        services.AddSingleton<IngestionPipeline>();
        // Order matters: the log is replayed into the event store, then the projector catches up, then the
        // pipeline (and after it Kestrel) starts. They stop in the reverse order, each draining the next.
        services.AddHostedService(sp => sp.GetRequiredService<EventStoreApplier>());
        services.AddHostedService(sp => sp.GetRequiredService<ProfileProjector>());
        services.AddSegmentRouterService();
        services.AddHostedService(sp => sp.GetRequiredService<IngestionPipeline>());
        services.AddHostedService<StartupCheck>();
        services.AddSingleton<MaterializedPropertyFiller>();
        services.AddHostedService(sp => sp.GetRequiredService<MaterializedPropertyFiller>());
        // The host waits for the writer to drain its queue on shutdown.
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));

        services.AddProblemDetails();
        services.AddHealthChecks();
        services.AddRequestDecompression();
        services.AddResponseCompression(o => o.EnableForHttps = true);
        services.AddCors();
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        });
        services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Lodestar API";
            document.Info.Description = "Management API (bearer admin token), Segment-spec ingestion (write key as Basic-auth user) and the Leanplum-compatible /api.";
            return Task.CompletedTask;
        }));
        return builder;
    }

    public static WebApplication MapLodestar(this WebApplication app)
    {
        app.UseExceptionHandler(handler => handler.Run(WriteUnhandledProblem));
        app.UseStatusCodePages();
        app.UseRequestDecompression();
        app.UseResponseCompression();
        app.UseCors(cors => cors.AllowAnyOrigin().AllowAnyHeader().AllowAnyMethod());

        app.MapHealthChecks("/health");
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapSegmentApi();
        app.MapLeanplumApi();

        var api = app.MapGroup("/api/v1").AddEndpointFilter<AdminAuthorization>();
        api.MapAppsApi();
        api.MapUsersApi();
        api.MapUserSegmentsApi();
        api.MapExportApi();
        api.MapStatisticsApi();
        Experiments.ExperimentResultsApi.MapExperimentResultsApi(api);
        api.MapInsightsApi();
        api.MapCatalogApi();
        api.MapMaterializedPropertiesApi();
        api.MapVariablesTestsAndInbox();
        api.MapMessagesApi();
        api.MapSegmentsApi();
        return app;
    }

    private static string DataPath(IServiceProvider services, string file)
    {
        var options = services.GetRequiredService<IOptions<LodestarOptions>>().Value;
        return Path.Combine(Path.GetFullPath(options.DataDir), file);
    }

    /// <summary>Turns exceptions that escape an endpoint into problem details (never a bare 500 page).</summary>
    private static async Task WriteUnhandledProblem(HttpContext context)
    {
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        var result = error switch
        {
            IngestionUnavailableException unavailable => Problems.Unavailable(unavailable.Message),
            BadHttpRequestException bad => Problems.Create(bad.StatusCode, "The request is invalid.", bad.Message),
            JsonException json => Problems.BadRequest($"The body is not valid JSON: {json.Message}"),
            _ => Problems.Create(StatusCodes.Status500InternalServerError, "Internal error.", "The server failed to handle the request; see its log."),
        };
        await result.ExecuteAsync(context).ConfigureAwait(false);
    }

    /// <summary>Resolves the admin token at start-up, so a generated one is printed before traffic arrives.</summary>
    private sealed class StartupCheck(AdminToken token) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            GC.KeepAlive(token);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
