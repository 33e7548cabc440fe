namespace Lodestar.Cli.Query;

/// <summary>Prints rows as an aligned text table (numbers right-aligned).</summary>
public static class Table
{
    public static void Print(IReadOnlyList<string> header, IReadOnlyList<string[]> rows, TextWriter? output = null)
    {
        output ??= Console.Out;
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => i < r.Length ? r[i].Length : 0))).ToArray();
        string Line(IReadOnlyList<string> cells) => string.Join("  ", widths.Select((w, i) =>
        {
            string cell = i < cells.Count ? cells[i] : "";
            return cell.Length > 0 && (char.IsAsciiDigit(cell[0]) || cell[0] == '-') && i > 0 ? cell.PadLeft(w) : cell.PadRight(w);
        })).TrimEnd();
        output.WriteLine(Line(header));
        output.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in rows) output.WriteLine(Line(row));
    }
}
