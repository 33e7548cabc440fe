using System.Text.Json;
using Lodestar.Cli.Http;

namespace Lodestar.Cli.Content;

/// <summary>
/// A JSON value given on the command line, inline (<c>{…}</c>) or as the path of a file holding it (not <c>@path</c>:
/// System.CommandLine reads those as response files).
/// </summary>
public static class JsonArgument
{
    public static JsonElement Read(string text, string what)
    {
        string json = text;
        if (!text.TrimStart().StartsWith('{') && !text.TrimStart().StartsWith('['))
        {
            if (!File.Exists(text)) throw new CliException($"{what}: give a JSON object or the path of a file holding one; there is no file '{text}'.");
            json = File.ReadAllText(text);
        }

        try
        {
            return JsonDocument.Parse(json).RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new CliException($"{what} is not valid JSON: {ex.Message}");
        }
    }

    public static void Print(JsonElement value) =>
        Console.WriteLine(JsonSerializer.Serialize(value, Indented));

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
}
