using Lodestar.Analytics.Segments;
using Lodestar.Core.Profiles;
using Lodestar.Core.Segments;
using Lodestar.Storage.Sqlite;

namespace Lodestar.Server.Segments;

/// <summary>Registers saved segments, their batch evaluation and the <see cref="ISegmentAudience"/> content and journeys read.</summary>
public static class SegmentsServices
{
    public static IServiceCollection AddSegments(this IServiceCollection services)
    {
        services.AddSingleton<ISegmentStore, SqliteSegmentStore>();
        services.AddSingleton<IProfileReader, SqliteProfileReader>();
        services.AddSingleton<SegmentMirror>();
        services.AddSingleton<SegmentBatchEvaluator>();
        services.AddSingleton<SegmentQueryTables>();
        services.AddSingleton<SegmentDefinitions>();
        services.AddSingleton<ISegmentAudience, BatchSegmentAudience>();
        services.AddSingleton<ISegmentReferenceSource, SegmentReferencesInSegments>();
        return services;
    }
}
