using System.CommandLine;
using Lodestar.Cli.Http;

namespace Lodestar.Cli.Content;

/// <summary><c>lodestar variables get|set</c>: an app's variable defaults and server-side values.</summary>
public static class VariablesCommand
{
    public static Command Create()
    {
        var variables = new Command("variables", "Show and set an app's variables (code defaults and server-side values).");
        var appId = new Argument<string>("app-id") { Description = "The app's id." };

        var get = new Command("get", "Print {defaults, values} as JSON.") { appId };
        get.SetAction(async (parse, cancellationToken) =>
        {
            using var client = ServerOptions.CreateClient(parse);
            JsonArgument.Print(await client.GetJsonAsync($"/api/v1/apps/{Uri.EscapeDataString(parse.GetValue(appId)!)}/variables", cancellationToken));
            return 0;
        });

        var values = new Option<string?>("--values") { Description = "Server-side values, a partial tree over the defaults: JSON or a file path. Replaces the stored values." };
        var defaults = new Option<string?>("--defaults") { Description = "The defaults (what the code declares): JSON or a file path." };
        var set = new Command("set", "Set the server-side values and/or the defaults; prints the result.") { appId, values, defaults };
        set.SetAction(async (parse, cancellationToken) =>
        {
            string? valuesText = parse.GetValue(values), defaultsText = parse.GetValue(defaults);
            if (valuesText is null && defaultsText is null) throw new CliException("Give --values and/or --defaults.");
            var body = new Dictionary<string, object>();
            if (valuesText is not null) body["values"] = JsonArgument.Read(valuesText, "--values");
            if (defaultsText is not null) body["defaults"] = JsonArgument.Read(defaultsText, "--defaults");
            using var client = ServerOptions.CreateClient(parse);
            JsonArgument.Print(await client.PutJsonAsync($"/api/v1/apps/{Uri.EscapeDataString(parse.GetValue(appId)!)}/variables", body, cancellationToken));
            return 0;
        });

        variables.Subcommands.Add(get);
        variables.Subcommands.Add(set);
        return variables;
    }
}
