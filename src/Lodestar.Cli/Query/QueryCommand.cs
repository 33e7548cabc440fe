using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lodestar.Cli.Query;

/// <summary><c>lodestar query trends|funnel|retention|paths</c>: asks the server's insights API and prints a table (or <c>--json</c>).</summary>
public static class QueryCommand
{
    public static Command Create()
    {
        var query = new Command("query", "Run an analytics query against a running server.");
        query.Subcommands.Add(Trends());
        query.Subcommands.Add(Funnel());
        query.Subcommands.Add(Retention());
        query.Subcommands.Add(Paths());
        return query;
    }

    /// <summary>Options every query has: the app, the range, the time zone, output and connection.</summary>
    private sealed class Common
    {
        public Option<string> App { get; } = new("--app") { Description = "The app id.", Required = true };

        public Option<DateTimeOffset?> From { get; } = new("--from") { Description = "Range start (ISO-8601; default 30 days ago)." };

        public Option<DateTimeOffset?> To { get; } = new("--to") { Description = "Range end, inclusive (ISO-8601; default now)." };

        public Option<string?> Timezone { get; } = new("--timezone") { Description = "IANA time zone of the periods (default UTC)." };

        public Option<bool> Json => Http.ServerOptions.Json;

        public ServerConnection Connection { get; } = new();

        public Command Command(string name, string description)
        {
            var command = new Command(name, description);
            foreach (var option in new Option[] { App, From, To, Timezone }) command.Options.Add(option);
            return command;
        }

        public JsonObject Body(ParseResult parseResult)
        {
            var to = parseResult.GetValue(To) ?? DateTimeOffset.UtcNow;
            var from = parseResult.GetValue(From) ?? to.AddDays(-30);
            var body = new JsonObject { ["from"] = from.ToString("O", CultureInfo.InvariantCulture), ["to"] = to.ToString("O", CultureInfo.InvariantCulture) };
            if (parseResult.GetValue(Timezone) is { } zone) body["timezone"] = zone;
            return body;
        }

        public void SetAction(Command command, string insight, Func<ParseResult, JsonObject> body, Action<JsonElement> print)
        {
            command.SetAction(async (parseResult, cancellationToken) =>
            {
                try
                {
                    using var client = Connection.CreateClient(parseResult);
                    var request = body(parseResult);
                    var answer = await ServerConnection.PostAsync(client, $"/api/v1/apps/{Uri.EscapeDataString(parseResult.GetValue(App)!)}/insights/{insight}",
                        request.ToJsonString(), cancellationToken);
                    if (parseResult.GetValue(Json)) Console.WriteLine(JsonSerializer.Serialize(answer, Indented));
                    else print(answer);
                    return 0;
                }
                catch (Exception ex) when (ex is CommandFailedException or HttpRequestException)
                {
                    await Console.Error.WriteLineAsync(ex.Message);
                    return 1;
                }
            });
        }
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static Command Trends()
    {
        var common = new Common();
        var events = new Option<string[]>("--event") { Description = "Event name (repeat for more series; $any for all).", Required = true, AllowMultipleArgumentsPerToken = true };
        var math = new Option<string>("--math") { Description = "total, uniques, sum, avg, min, max, median, p90, perUserAvg, weightedScore.", DefaultValueFactory = _ => "total" };
        var property = new Option<string?>("--property") { Description = "Numeric property for the value maths (default: the event's value)." };
        var interval = new Option<string>("--interval") { Description = "hour, day, week or month.", DefaultValueFactory = _ => "day" };
        var breakdown = new Option<string?>("--breakdown") { Description = "Break down by an event property." };
        var breakdownAttribute = new Option<string?>("--breakdown-attribute") { Description = "Break down by a person attribute." };
        var command = common.Command("trends", "Events per period.");
        foreach (var option in new Option[] { events, math, property, interval, breakdown, breakdownAttribute }) command.Options.Add(option);
        common.SetAction(command, "trends", parseResult =>
        {
            var body = common.Body(parseResult);
            body["interval"] = parseResult.GetValue(interval);
            body["series"] = new JsonArray(parseResult.GetValue(events)!.Select(e => (JsonNode)new JsonObject
            {
                ["event"] = e, ["math"] = parseResult.GetValue(math), ["property"] = parseResult.GetValue(property),
            }).ToArray());
            if (parseResult.GetValue(breakdown) is { } p) body["breakdown"] = new JsonObject { ["property"] = p };
            else if (parseResult.GetValue(breakdownAttribute) is { } a) body["breakdown"] = new JsonObject { ["attribute"] = a };
            return body;
        }, answer =>
        {
            var series = answer.GetProperty("series").EnumerateArray().ToList();
            var rows = new List<string[]>();
            if (series.Count > 0)
            {
                var times = series[0].GetProperty("points").EnumerateArray().Select(p => p.GetProperty("t").GetString()!).ToList();
                for (int i = 0; i < times.Count; i++)
                    rows.Add([times[i], .. series.Select(s => Number(s.GetProperty("points")[i].GetProperty("value")))]);
            }

            Table.Print(["period", .. series.Select(s => s.GetProperty("label").GetString()!)], rows);
        });
        return command;
    }

    private static Command Funnel()
    {
        var common = new Common();
        var steps = new Option<string[]>("--step") { Description = "Step event names in order (repeat, 1 to 10).", Required = true, AllowMultipleArgumentsPerToken = true };
        var window = new Option<string>("--window") { Description = "Conversion window from entry: 30m, 12h, 7d, 2w.", DefaultValueFactory = _ => "7d" };
        var order = new Option<string>("--order") { Description = "strict (in order) or any.", DefaultValueFactory = _ => "strict" };
        var command = common.Command("funnel", "Conversion through ordered steps.");
        foreach (var option in new Option[] { steps, window, order }) command.Options.Add(option);
        common.SetAction(command, "funnels", parseResult =>
        {
            var body = common.Body(parseResult);
            body["window"] = parseResult.GetValue(window);
            body["order"] = parseResult.GetValue(order);
            body["steps"] = new JsonArray(parseResult.GetValue(steps)!.Select(s => (JsonNode)new JsonObject { ["event"] = s }).ToArray());
            return body;
        }, answer =>
        {
            var rows = answer.GetProperty("steps").EnumerateArray().Select((s, i) => new[]
            {
                (i + 1).ToString(CultureInfo.InvariantCulture), s.GetProperty("event").GetString()!, Number(s.GetProperty("persons")),
                Percent(s.GetProperty("conversionFromStart")), Percent(s.GetProperty("conversionFromPrevious")),
                Number(s.GetProperty("medianSecondsFromPrevious")),
            }).ToList();
            Table.Print(["step", "event", "persons", "from start", "from previous", "median s"], rows);
        });
        return command;
    }

    private static Command Retention()
    {
        var common = new Common();
        var start = new Option<string>("--start-event") { Description = "The cohort's event, or $firstSeen.", DefaultValueFactory = _ => "$firstSeen" };
        var ret = new Option<string>("--return-event") { Description = "The return event, or $any.", DefaultValueFactory = _ => "$any" };
        var interval = new Option<string>("--interval") { Description = "day, week or month.", DefaultValueFactory = _ => "week" };
        var periods = new Option<int>("--periods") { Description = "Periods after the cohort's.", DefaultValueFactory = _ => 12 };
        var mode = new Option<string>("--mode") { Description = "on (in period k) or onOrAfter.", DefaultValueFactory = _ => "on" };
        var command = common.Command("retention", "Cohorts and how many came back per period.");
        foreach (var option in new Option[] { start, ret, interval, periods, mode }) command.Options.Add(option);
        common.SetAction(command, "retention", parseResult =>
        {
            var body = common.Body(parseResult);
            body["startEvent"] = parseResult.GetValue(start);
            body["returnEvent"] = parseResult.GetValue(ret);
            body["interval"] = parseResult.GetValue(interval);
            body["periods"] = parseResult.GetValue(periods);
            body["mode"] = parseResult.GetValue(mode);
            return body;
        }, answer =>
        {
            var cohorts = answer.GetProperty("cohorts").EnumerateArray().ToList();
            int width = cohorts.Count == 0 ? 1 : cohorts.Max(c => c.GetProperty("retained").GetArrayLength());
            var rows = cohorts.Select(c =>
            {
                var retained = c.GetProperty("retained").EnumerateArray().Select(Number).ToList();
                string[] row = [c.GetProperty("start").GetString()!, .. retained, .. Enumerable.Repeat("", width - retained.Count)];
                return row;
            }).ToList();
            Table.Print(["cohort", .. Enumerable.Range(0, width).Select(k => k == 0 ? "size" : $"+{k}")], rows);
        });
        return command;
    }

    private static Command Paths()
    {
        var common = new Common();
        var start = new Option<string?>("--start-event") { Description = "Paths after this event." };
        var end = new Option<string?>("--end-event") { Description = "Paths before this event." };
        var depth = new Option<int>("--depth") { Description = "Steps per path (2 to 10).", DefaultValueFactory = _ => 4 };
        var nodes = new Option<int>("--max-nodes") { Description = "Events kept per step; the rest are 'other'.", DefaultValueFactory = _ => 10 };
        var command = common.Command("paths", "What persons did after (or before) an event.");
        foreach (var option in new Option[] { start, end, depth, nodes }) command.Options.Add(option);
        common.SetAction(command, "paths", parseResult =>
        {
            var body = common.Body(parseResult);
            if (parseResult.GetValue(start) is { } s) body["startEvent"] = s;
            if (parseResult.GetValue(end) is { } e) body["endEvent"] = e;
            body["depth"] = parseResult.GetValue(depth);
            body["maxNodesPerStep"] = parseResult.GetValue(nodes);
            return body;
        }, answer =>
        {
            var rows = answer.GetProperty("links").EnumerateArray()
                .Select(l => new[] { l.GetProperty("source").GetString()!, l.GetProperty("target").GetString()!, Number(l.GetProperty("persons")) }).ToList();
            Table.Print(["from", "to", "persons"], rows);
        });
        return command;
    }

    private static string Number(JsonElement value) => value.ValueKind == JsonValueKind.Number
        ? value.GetDouble().ToString(value.GetDouble() % 1 == 0 ? "N0" : "N2", CultureInfo.InvariantCulture)
        : "";

    private static string Percent(JsonElement value) => value.GetDouble().ToString("P1", CultureInfo.InvariantCulture);
}
