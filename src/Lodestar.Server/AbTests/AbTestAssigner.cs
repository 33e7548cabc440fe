using System.Text.Json;
using System.Text.Json.Nodes;
using Lodestar.Core.Content;
using Lodestar.Core.Events;
using Lodestar.Core.Experiments;
using Lodestar.Core.Identity;
using Lodestar.Core.Segments;
using Lodestar.Engine.Ingestion;

namespace Lodestar.Server.AbTests;

/// <summary>One test's contribution to what a person sees: the values, and the variant id when the SDK should list it.</summary>
public sealed record ServedVariant(AbTest Test, AbTestVariant Variant, bool Listed);

/// <summary>
/// Decides which variant of each A/B test a person sees. Running tests draw once per person (segment, then traffic,
/// then weights, all from the test's seed and the canonical person id) and keep the draw, so later weight changes
/// touch only persons not yet assigned; the first draw is the first exposure and is stored as a
/// <c>$experiment_exposure</c> event for the results engine. Paused tests keep assignments but serve the control;
/// finished tests serve their winner to everyone.
/// </summary>
/// <remarks>
/// Login merge: assignments are kept per canonical person, with the device that asked. When an anonymous device that
/// was assigned logs in and merges into a known person who already has an assignment in the test, the known person's
/// assignment wins (their other devices already show it); if the known person has none, the device's assignment
/// is carried over to them, so what that device showed does not change.
/// </remarks>
public sealed partial class AbTestAssigner(
    IAbTestStore tests,
    IIdentityStore identities,
    ISegmentAudience audience,
    IngestionPipeline pipeline,
    ILogger<AbTestAssigner> logger)
{
    public const string ExposureEvent = "$experiment_exposure";

    /// <summary>The variants the person sees, the earliest-started test first (it wins a variable several tests set).</summary>
    public async ValueTask<IReadOnlyList<ServedVariant>> ServeAsync(PersonContentRequest request, CancellationToken cancellationToken)
    {
        var served = new List<ServedVariant>();
        var exposures = new List<IncomingEvent>();
        IReadOnlyCollection<string>? devices = null;
        foreach (var test in tests.List(request.AppId))
        {
            switch (test.Status)
            {
                case AbTestStatus.Finished when test.WinnerVariantId is { } winnerId && test.Variant(winnerId) is { } winner:
                    served.Add(new ServedVariant(test, winner, Listed: false));
                    continue;
                case AbTestStatus.Running when request.PersonId is { } personId && test.Variants.Count > 0:
                    devices ??= DevicesOf(request, personId);
                    if (await AssignAsync(test, request, personId, devices, exposures, cancellationToken).ConfigureAwait(false) is { } variant)
                        served.Add(new ServedVariant(test, variant, Listed: true));
                    continue;
                default:
                    // Drafts and paused tests: everyone sees the control (the overrides, else the code defaults).
                    continue;
            }
        }

        if (exposures.Count > 0)
        {
            try
            {
                await pipeline.IngestAsync(request.AppId, exposures, cancellationToken).ConfigureAwait(false);
            }
            catch (IngestionUnavailableException ex)
            {
                // The assignment is kept; only the analysis misses this exposure.
                LogExposureLost(logger, ex, request.AppId, exposures.Count);
            }
        }

        served.Sort((a, b) => (a.Test.StartedAt ?? a.Test.CreatedAt).CompareTo(b.Test.StartedAt ?? b.Test.CreatedAt));
        return served;
    }

    private async ValueTask<AbTestVariant?> AssignAsync(
        AbTest test, PersonContentRequest request, string personId, IReadOnlyCollection<string> devices, List<IncomingEvent> exposures,
        CancellationToken cancellationToken)
    {
        if (tests.FindAssignment(test.Id, personId, devices) is { } existing && test.Variant(existing.VariantId) is { } kept)
        {
            // Carried over from a device merged into this person: keep it under the person from now on.
            if (existing.PersonId != personId)
                tests.TryAssign(existing with { PersonId = personId, DeviceId = request.DeviceId, AssignedAt = request.Now });
            return kept;
        }

        if (test.SegmentId is { } segmentId && !await audience.ContainsAsync(test.AppId, segmentId, personId, cancellationToken).ConfigureAwait(false))
            return null;
        if (!VariantAssignment.InTraffic(test.Seed, personId, test.TrafficPercent)) return null;
        if (test.Variants.All(v => v.Weight <= 0)) return null;

        var drawn = test.Variants[VariantAssignment.Pick(test.Seed, personId, [.. test.Variants.Select(v => v.Weight)])];
        var assignment = new AbTestAssignment(test.Id, personId, drawn.Id, request.DeviceId.Length > 0 ? request.DeviceId : null, request.Now);
        if (!tests.TryAssign(assignment))
        {
            // Another call assigned this person meanwhile: show what it stored.
            return tests.FindAssignment(test.Id, personId, []) is { } stored ? test.Variant(stored.VariantId) : null;
        }

        exposures.Add(Exposure(request, test, drawn));
        return drawn;
    }

    private IReadOnlyCollection<string> DevicesOf(PersonContentRequest request, string personId)
    {
        var devices = new HashSet<string>(StringComparer.Ordinal);
        if (request.DeviceId.Length > 0) devices.Add(request.DeviceId);
        foreach (string id in identities.IdsOf(request.AppId, personId))
        {
            if (id.StartsWith(DistinctIds.Anonymous(""), StringComparison.Ordinal)) devices.Add(id[DistinctIds.Anonymous("").Length..]);
        }

        return devices;
    }

    private static IncomingEvent Exposure(PersonContentRequest request, AbTest test, AbTestVariant variant) => new()
    {
        Type = EventTypes.Track,
        Name = ExposureEvent,
        UserId = request.UserId,
        AnonymousId = request.DeviceId.Length > 0 && request.DeviceId != request.UserId ? request.DeviceId : null,
        MessageId = $"exposure:{test.Id}:{request.PersonId}:{variant.Id}",
        Timestamp = request.Now,
        PropertiesJson = new JsonObject
        {
            ["testId"] = test.Id,
            ["variantId"] = variant.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["variantName"] = variant.Name,
        }.ToJsonString(),
        // Served through the Leanplum API: sessions come from its start/pause calls, not from this event. Not internal:
        // the results engine reads only events people did or saw.
        Source = "leanplum",
        Internal = false,
    };

    /// <summary>The variables a variant sets, as a tree.</summary>
    public static JsonNode? Values(AbTestVariant variant)
    {
        try
        {
            return JsonNode.Parse(variant.ValuesJson);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(6101, LogLevel.Warning, "App {AppId}: {Count} A/B-test exposures could not be stored (ingestion unavailable)")]
    private static partial void LogExposureLost(ILogger logger, Exception exception, string appId, int count);
}
