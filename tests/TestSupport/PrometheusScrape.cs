using System.Globalization;
using System.Text;

namespace ActorService.TestSupport;

/// <summary>
/// A parsed /metrics answer (Prometheus text format 0.0.4): every sample with its labels, and the declared types.
/// Written for the tests' needs; label values may hold braces, commas and escaped quotes (route templates do).
/// </summary>
public sealed class PrometheusScrape
{
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
    {
        public override string ToString() =>
            $"{Name}{{{string.Join(",", Labels.Select(kv => $"{kv.Key}=\"{kv.Value}\""))}}} {Value.ToString(CultureInfo.InvariantCulture)}";
    }

    private PrometheusScrape(string text, IReadOnlyList<Sample> samples, IReadOnlyDictionary<string, string> types)
    {
        Text = text;
        Samples = samples;
        Types = types;
    }

    public string Text { get; }
    public IReadOnlyList<Sample> Samples { get; }
    /// <summary>Metric family → counter, gauge, histogram… from the <c># TYPE</c> lines.</summary>
    public IReadOnlyDictionary<string, string> Types { get; }

    public static async Task<PrometheusScrape> From(HttpClient http)
    {
        using var response = await http.GetAsync("metrics");
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"GET /metrics answered {(int)response.StatusCode}: {text}");
        return Parse(text);
    }

    public static PrometheusScrape Parse(string text)
    {
        var samples = new List<Sample>();
        var types = new Dictionary<string, string>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0) continue;
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ', 4);
                types[parts[2]] = parts[3];
                continue;
            }
            if (line.StartsWith('#')) continue;
            samples.Add(ParseSample(line));
        }
        return new PrometheusScrape(text, samples, types);
    }

    private static Sample ParseSample(string line)
    {
        var i = 0;
        while (i < line.Length && line[i] != '{' && line[i] != ' ') i++;
        var name = line[..i];
        var labels = new Dictionary<string, string>();
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                var eq = line.IndexOf('=', i);
                var key = line[i..eq].Trim(',', ' ');
                i = eq + 2; // past ="
                var value = new StringBuilder();
                while (line[i] != '"')
                {
                    if (line[i] == '\\') { i++; value.Append(line[i] == 'n' ? '\n' : line[i]); }
                    else value.Append(line[i]);
                    i++;
                }
                labels[key] = value.ToString();
                i++; // closing quote
                if (line[i] == ',') i++;
            }
            i++; // closing brace
        }
        var rest = line[i..].Trim().Split(' ');
        var number = rest[0] switch { "+Inf" => double.PositiveInfinity, "-Inf" => double.NegativeInfinity, var n => double.Parse(n, CultureInfo.InvariantCulture) };
        return new Sample(name, labels, number);
    }

    /// <summary>Samples of one series name whose labels include every given label.</summary>
    public IEnumerable<Sample> Find(string name, params (string Key, string Value)[] labels) =>
        Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value));

    /// <summary>The sum over matching series (0 when none exists yet: a counter never touched is not exported).</summary>
    public double Sum(string name, params (string Key, string Value)[] labels) => Find(name, labels).Sum(s => s.Value);

    /// <summary>The single matching series' value; fails with the scrape's matching lines when there is not exactly one.</summary>
    public double Single(string name, params (string Key, string Value)[] labels)
    {
        var found = Find(name, labels).ToList();
        if (found.Count != 1)
            throw new InvalidOperationException($"expected one series {name} {string.Join(",", labels)}, found {found.Count}:\n" +
                string.Join("\n", Samples.Where(s => s.Name == name).Select(s => s.ToString())));
        return found[0].Value;
    }
}
