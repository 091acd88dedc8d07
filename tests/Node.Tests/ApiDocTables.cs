using System.Text.RegularExpressions;
using ActorService.TestSupport;

namespace ActorService.Node.Tests;

/// <summary>
/// The rows of docs/api.md that the OpenAPI document must match: every route row (a table row whose first cell is
/// <c>`METHOD /path…`</c>, in the Ledger and the Health and operations tables) with the statuses its other cells name,
/// and every row of the problem table with its status and its <c>Retry-After</c> and <c>Idempotency-Key</c> columns.
/// </summary>
internal static partial class ApiDocTables
{
    public static string Path => System.IO.Path.Combine(Repo.Root, "docs", "api.md");

    /// <summary>A route row: "POST /accounts/{id}/deposit" and the statuses it names (success and errors).</summary>
    public sealed record RouteRow(string Route, IReadOnlySet<int> Statuses, string Line);

    /// <summary>A problem row: its type, its status (null for "any"), and when it carries the two headers.</summary>
    public sealed record ProblemRow(string Type, int? Status, string RetryAfter, string IdempotencyKey, string When);

    public static IReadOnlyList<RouteRow> Routes() =>
        [.. File.ReadLines(Path).Select(line => (line, match: RouteRowPattern().Match(line))).Where(r => r.match.Success).Select(r =>
        {
            var cells = r.line.Split('|', StringSplitOptions.TrimEntries)[2..];
            // Example bodies ({"balance": 130, …}) are not statuses.
            var text = ExampleBody().Replace(string.Join(" | ", cells), "");
            var statuses = StatusNumber().Matches(text).Select(m => int.Parse(m.Value, System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
            return new RouteRow($"{r.match.Groups["method"].Value} {r.match.Groups["path"].Value}", statuses, r.line);
        })];

    public static IReadOnlyList<ProblemRow> Problems() =>
        [.. File.ReadLines(Path).Select(line => ProblemRowPattern().Match(line)).Where(m => m.Success).Select(m => new ProblemRow(
            m.Groups["type"].Value,
            m.Groups["status"].Value == "any" ? null : int.Parse(m.Groups["status"].Value, System.Globalization.CultureInfo.InvariantCulture),
            m.Groups["retry"].Value, m.Groups["key"].Value, m.Groups["when"].Value))];

    // | `POST /accounts/{id}/deposit` body … | … |   and   | `POST /admin/cluster/leave?address=…` | … |
    [GeneratedRegex(@"^\| `(?<method>GET|POST|PUT|PATCH|DELETE) (?<path>/[^`?\s]*)[^|]*\|")]
    private static partial Regex RouteRowPattern();

    // | <a id="draining"></a>`/problems/draining` | 503 | not applied | when … | yes | – |
    [GeneratedRegex(@"^\| <a id=""[^""]+""></a>`(?<type>/problems/[^`]+)` \| (?<status>\d{3}|any) \| [^|]* \| (?<when>[^|]*) \| (?<retry>[^|]*) \| (?<key>[^|]*) \|$")]
    private static partial Regex ProblemRowPattern();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex ExampleBody();

    // A status: three digits on their own, not part of a number such as 1,000,000,000 or 2.5.
    [GeneratedRegex(@"(?<![\w.\-]|[0-9],)[1-5][0-9]{2}(?!\w|\.[0-9]|,[0-9])")]
    private static partial Regex StatusNumber();
}
