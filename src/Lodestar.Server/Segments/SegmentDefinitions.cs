using Lodestar.Analytics.Catalog;
using Lodestar.Core.Segments;

namespace Lodestar.Server.Segments;

/// <summary>Parses and checks criteria against the app's saved segments and known attribute types; resolves nested segments.</summary>
public sealed class SegmentDefinitions(ISegmentStore store, EventCatalog catalog)
{
    /// <summary>The app's saved segments' criteria by id, for nested <c>{"segment": id}</c> conditions.</summary>
    public Func<string, SegmentCondition?> Lookup(string appId)
    {
        var saved = store.List(appId).ToDictionary(s => s.Id, s => s.Criteria, StringComparer.Ordinal);
        return saved.GetValueOrDefault;
    }

    /// <summary>Parses criteria for a segment of the app (null id: a new segment or a preview); throws <see cref="SegmentCriteriaException"/>.</summary>
    public SegmentCondition Parse(string appId, System.Text.Json.Nodes.JsonNode? criteria, string? segmentId = null)
    {
        var types = catalog.Attributes(appId).ToDictionary(f => f.Name, f => TypeOf(f.Type), StringComparer.Ordinal);
        return SegmentCriteriaParser.Parse(criteria, new SegmentParseContext
        {
            AttributeType = name => types.GetValueOrDefault(name),
            Segments = Lookup(appId),
            SegmentId = segmentId,
        });
    }

    private static SegmentAttributeType? TypeOf(string catalogType) => catalogType switch
    {
        "string" => SegmentAttributeType.String,
        "number" => SegmentAttributeType.Number,
        "boolean" => SegmentAttributeType.Boolean,
        "datetime" => SegmentAttributeType.Date,
        "list" => SegmentAttributeType.List,
        _ => null,
    };
}
