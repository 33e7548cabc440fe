using System.Text.Json;
using System.Text.Json.Nodes;
using Fluid;

namespace Lodestar.Core.Messages;

/// <summary>
/// A message's vars with their Liquid templates parsed once (Fluid): every string holding <c>{{ … }}</c> or
/// <c>{% … %}</c> renders per person with <c>userAttribute</c> bound to the person's attributes. A missing
/// attribute renders as empty (or the <c>default</c> filter's value), never as an error.
/// </summary>
public sealed class MessageTemplate
{
    private static readonly FluidParser Parser = new();
    private static readonly TemplateOptions Options = CreateOptions();

    private readonly JsonObject _vars;
    private readonly Dictionary<string, IFluidTemplate> _templates;

    private MessageTemplate(JsonObject vars, Dictionary<string, IFluidTemplate> templates)
    {
        _vars = vars;
        _templates = templates;
    }

    /// <summary>Whether any field is a template (otherwise rendering returns a copy of the vars).</summary>
    public bool IsPersonalized => _templates.Count > 0;

    /// <summary>Parses every templated string of <paramref name="vars"/>.</summary>
    /// <exception cref="MessageDefinitionException">A template does not parse; the field is named by its path under <paramref name="field"/>.</exception>
    public static MessageTemplate Parse(JsonObject vars, string field = "vars")
    {
        var templates = new Dictionary<string, IFluidTemplate>(StringComparer.Ordinal);
        Collect(vars, field, templates);
        return new MessageTemplate(vars, templates);
    }

    /// <summary>The vars with every template rendered for a person with these attributes.</summary>
    /// <param name="onError">Called with the field and error when a template fails at render time; the field renders empty.</param>
    public JsonObject Render(JsonObject? attributes, Action<string, Exception>? onError = null)
    {
        if (!IsPersonalized) return (JsonObject)_vars.DeepClone();
        var context = new TemplateContext(Options);
        context.SetValue("userAttribute", attributes is null ? new Dictionary<string, object?>() : ToModel(attributes));
        return (JsonObject)RenderNode(_vars, "vars", context, onError)!;
    }

    private JsonNode? RenderNode(JsonNode? node, string path, TemplateContext context, Action<string, Exception>? onError)
    {
        switch (node)
        {
            case JsonObject obj:
                var result = new JsonObject();
                foreach (var (key, value) in obj) result[key] = RenderNode(value, $"{path}.{key}", context, onError);
                return result;
            case JsonArray array:
                var items = new JsonArray();
                for (int i = 0; i < array.Count; i++) items.Add(RenderNode(array[i], $"{path}[{i}]", context, onError));
                return items;
            default:
                if (!_templates.TryGetValue(path, out var template)) return node?.DeepClone();
                try
                {
                    return JsonValue.Create(template.Render(context, NullEncoder.Default));
                }
                catch (Exception ex) when (ex is FluidException or InvalidOperationException or ArgumentException or FormatException or OverflowException or DivideByZeroException)
                {
                    onError?.Invoke(path, ex);
                    return JsonValue.Create("");
                }
        }
    }

    private static void Collect(JsonNode? node, string path, Dictionary<string, IFluidTemplate> templates)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj) Collect(value, $"{path}.{key}", templates);
                break;
            case JsonArray array:
                for (int i = 0; i < array.Count; i++) Collect(array[i], $"{path}[{i}]", templates);
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                string text = value.GetValue<string>();
                if (!text.Contains("{{", StringComparison.Ordinal) && !text.Contains("{%", StringComparison.Ordinal)) break;
                if (!Parser.TryParse(text, out var template, out string error))
                    throw new MessageDefinitionException(path, $"is not a valid template: {error}");
                templates[path] = template;
                break;
        }
    }

    private static Dictionary<string, object?> ToModel(JsonObject obj)
    {
        var model = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in obj) model[key] = ToModel(value);
        return model;
    }

    private static object? ToModel(JsonNode? node) => node switch
    {
        null => null,
        JsonObject obj => ToModel(obj),
        JsonArray array => array.Select(ToModel).ToList(),
        JsonValue value => value.GetValueKind() switch
        {
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.Number => value.TryGetValue(out decimal d) ? d : value.GetValue<double>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => null,
        },
        _ => null,
    };

    private static TemplateOptions CreateOptions()
    {
        var options = new TemplateOptions();
        options.MemberAccessStrategy.IgnoreCasing = false;
        return options;
    }
}
