using System.Text.RegularExpressions;

namespace ActorService.Deploy.Tests.Monitoring;

/// <summary>
/// The series names a PromQL expression reads, found without a full parser: string literals, label matchers
/// (<c>{...}</c>), grouping clauses (<c>by (...)</c>, <c>on (...)</c>…), range and subquery brackets and Grafana
/// variables are removed first; what remains as an identifier not followed by "(" (a function or aggregation) and not a
/// keyword is a series name. Grafana's <c>label_values(metric, label)</c> reads only its first argument.
/// </summary>
public static partial class PromQl
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan",
    };

    public static IReadOnlySet<string> SeriesNames(string expression)
    {
        var labelValues = LabelValues().Match(expression);
        if (labelValues.Success) expression = labelValues.Groups["metric"].Value;

        var s = Strings().Replace(expression, " ");
        s = Variables().Replace(s, " ");
        s = Matchers().Replace(s, " ");
        s = Grouping().Replace(s, " ");
        s = Brackets().Replace(s, " ");
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Match m in Identifier().Matches(s))
        {
            var rest = s[(m.Index + m.Length)..].TrimStart();
            if (rest.StartsWith('(') || Keywords.Contains(m.Value)) continue;
            names.Add(m.Value);
        }
        return names;
    }

    [GeneratedRegex(@"^\s*label_values\(\s*(?<metric>[^,]+?)\s*,")]
    private static partial Regex LabelValues();

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\$\{[^}]*\}|\$\w+")]
    private static partial Regex Variables();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Matchers();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Brackets();

    [GeneratedRegex(@"(?<![\w.:])[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex Identifier();
}
