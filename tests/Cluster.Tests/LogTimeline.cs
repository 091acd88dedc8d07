using System.Globalization;
using System.Text.RegularExpressions;
using ActorService.TestSupport;

namespace ActorService.Cluster.Tests;

/// <summary>When a node logged a given cluster event, relative to a moment of the test (its text logs start with [HH:mm:ss.fff]).</summary>
public static partial class LogTimeline
{
    [GeneratedRegex(@"^\[(\d\d:\d\d:\d\d\.\d\d\d) ")]
    private static partial Regex Stamp();

    /// <summary>Seconds from <paramref name="since"/> (local wall clock) to the first line after it containing <paramref name="text"/>, over all <paramref name="nodes"/>.</summary>
    public static double? SecondsUntil(IEnumerable<NodeProcess> nodes, DateTime since, string text)
    {
        double? first = null;
        foreach (var line in nodes.SelectMany(n => n.Lines))
        {
            if (!line.Contains(text, StringComparison.Ordinal)) continue;
            var m = Stamp().Match(line);
            if (!m.Success) continue;
            var at = since.Date + TimeSpan.ParseExact(m.Groups[1].Value, @"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture);
            var seconds = (at - since).TotalSeconds;
            if (seconds >= -0.5 && (first is null || seconds < first)) first = seconds;
        }
        return first;
    }

    public static string Format(double? seconds) => seconds is { } s ? string.Create(CultureInfo.InvariantCulture, $"{s:0.00} s") : "not logged";
}
