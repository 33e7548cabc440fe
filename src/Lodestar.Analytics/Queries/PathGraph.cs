using Lodestar.Analytics.Planning;

namespace Lodestar.Analytics.Queries;

/// <summary>Folds per-person paths into Sankey nodes and links, keeping the most travelled events per step.</summary>
public static class PathGraph
{
    public const string Other = "other";

    /// <param name="paths">Distinct paths (anchor first for start paths, anchor last for end paths) with their persons.</param>
    public static PathsResult Build(PathsPlan plan, IReadOnlyList<(List<string> Steps, long Persons)> paths)
    {
        // Step index of each element: start paths count from 0; end paths end at depth − 1.
        int StepOf(List<string> path, int i) => plan.FromStart ? i : plan.Depth - path.Count + i;

        var perStep = new Dictionary<(int Step, string Event), long>();
        foreach (var (steps, persons) in paths)
        {
            for (int i = 0; i < steps.Count; i++)
            {
                var key = (StepOf(steps, i), steps[i]);
                perStep[key] = perStep.GetValueOrDefault(key) + persons;
            }
        }

        var kept = perStep.GroupBy(p => p.Key.Step)
            .SelectMany(g => g.OrderByDescending(p => p.Value).ThenBy(p => p.Key.Event, StringComparer.Ordinal).Take(plan.MaxNodesPerStep).Select(p => p.Key))
            .ToHashSet();
        string Label(int step, string name) => kept.Contains((step, name)) ? name : Other;
        static string Id(int step, string name) => $"{step}:{name}";

        var nodes = new Dictionary<(int, string), long>();
        var links = new Dictionary<(string, string), long>();
        foreach (var (steps, persons) in paths)
        {
            string? previous = null;
            for (int i = 0; i < steps.Count; i++)
            {
                int step = StepOf(steps, i);
                string name = Label(step, steps[i]);
                nodes[(step, name)] = nodes.GetValueOrDefault((step, name)) + persons;
                string id = Id(step, name);
                if (previous is not null) links[(previous, id)] = links.GetValueOrDefault((previous, id)) + persons;
                previous = id;
            }
        }

        return new PathsResult(
            nodes.OrderBy(n => n.Key.Item1).ThenBy(n => n.Key.Item2 == Other).ThenByDescending(n => n.Value).ThenBy(n => n.Key.Item2, StringComparer.Ordinal)
                .Select(n => new PathNode(Id(n.Key.Item1, n.Key.Item2), n.Key.Item1, n.Key.Item2, n.Value)).ToList(),
            links.OrderByDescending(l => l.Value).ThenBy(l => l.Key.Item1, StringComparer.Ordinal).ThenBy(l => l.Key.Item2, StringComparer.Ordinal)
                .Select(l => new PathLink(l.Key.Item1, l.Key.Item2, l.Value)).ToList());
    }
}
