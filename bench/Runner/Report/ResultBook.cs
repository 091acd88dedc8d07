using System.Diagnostics;
using System.Text;
using ActorService.Bench.Infra;

namespace ActorService.Bench.Report;

internal enum Verdict { Met, Missed, Info, NotRun, Failed }

/// <summary>One line of the results table.</summary>
internal sealed record ResultRow(string Scenario, string Measured, string Value, string Target, Verdict Verdict);

/// <summary>
/// Collects the table rows and the per-round details of a run and writes them as Markdown: always into the run's
/// folder, and for a complete, successful <c>all</c> run also to bench/RESULTS.md and the README's Benchmarks section.
/// </summary>
internal sealed class ResultBook(BenchContext bench)
{
    public const string ReadmeBegin = "<!-- bench-results:begin (written by bench/run.sh all) -->";
    public const string ReadmeEnd = "<!-- bench-results:end -->";

    private readonly List<ResultRow> _rows = [];
    private readonly List<(string Scenario, string Line)> _details = [];
    private readonly string _loadBefore = LoadAverage();
    private readonly DateTime _started = DateTime.UtcNow;
    private string? _commit; // read when the run starts: the binaries measured are built from that state

    /// <summary>Records the commit the run measures (call before any scenario).</summary>
    public void NoteCommit() => _commit = Commit();

    public bool AnyFailed => _rows.Any(r => r.Verdict == Verdict.Failed);

    public void Add(ResultRow row)
    {
        _rows.Add(row);
        bench.Log($"RESULT {row.Scenario} | {row.Measured} | {row.Value} | {row.Target} | {Mark(row.Verdict)}");
    }

    public void Detail(string scenario, string line)
    {
        _details.Add((scenario, line));
        bench.Log($"  {scenario}: {line}");
    }

    public static Verdict AtLeast(double value, double target) => value >= target ? Verdict.Met : Verdict.Missed;
    public static Verdict AtMost(double value, double target) => value <= target ? Verdict.Met : Verdict.Missed;

    public string Table()
    {
        var t = new StringBuilder();
        t.AppendLine("| scenario | measured | result | target | |");
        t.AppendLine("| --- | --- | --- | --- | --- |");
        foreach (var r in _rows) t.AppendLine($"| {r.Scenario} | {r.Measured} | {r.Value} | {r.Target} | {Mark(r.Verdict)} |");
        return t.ToString();
    }

    public string MachineLine() =>
        $"{Cpu()}, {Environment.ProcessorCount} cores, {MemGiB():0} GiB RAM, Linux {Kernel()}, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}; " +
        $"load average at start {_loadBefore}, at end {LoadAverage()}";

    public string Header() =>
        $"Run `{Command()}` on {_started:yyyy-MM-dd HH:mm} UTC, commit `{_commit ?? Commit()}`, {(DateTime.UtcNow - _started).TotalMinutes:0.0} min.  \n" +
        $"Machine: {MachineLine()}.";

    public string Markdown()
    {
        var md = new StringBuilder();
        md.AppendLine("# Benchmark results");
        md.AppendLine();
        md.AppendLine("Written by `bench/run.sh` (see the README's Benchmarks section for what each scenario does). Throughput figures are");
        md.AppendLine("ratios to the bare ASP.NET Core baseline (`bench/Baseline`) measured in the same run, alternating the targets, median of");
        md.AppendLine("the per-round ratios; absolute requests per second depend on the machine and on what else runs on it.");
        md.AppendLine();
        md.AppendLine(Header());
        md.AppendLine();
        md.Append(Table());
        md.AppendLine();
        md.AppendLine("## Details");
        foreach (var group in _details.GroupBy(d => d.Scenario))
        {
            md.AppendLine();
            md.AppendLine($"**{group.Key}**");
            md.AppendLine();
            foreach (var (_, line) in group) md.AppendLine($"- {line}");
        }
        md.AppendLine();
        md.AppendLine($"Raw logs of this run: `bench/results-raw/{bench.RunId}/` (not committed).");
        return md.ToString();
    }

    /// <summary>Writes the run's copy; publishes to bench/RESULTS.md and the README when <paramref name="publish"/>.</summary>
    public void Write(bool publish)
    {
        var markdown = Markdown();
        File.WriteAllText(Path.Combine(bench.RunDir, "RESULTS.md"), markdown);
        bench.Log($"results: {Path.Combine(bench.RunDir, "RESULTS.md")}");
        if (!publish) return;
        File.WriteAllText(Path.Combine(bench.Repo, "bench", "RESULTS.md"), markdown);
        var readmePath = Path.Combine(bench.Repo, "README.md");
        var readme = File.ReadAllText(readmePath);
        int begin = readme.IndexOf(ReadmeBegin, StringComparison.Ordinal), end = readme.IndexOf(ReadmeEnd, StringComparison.Ordinal);
        if (begin < 0 || end < begin) throw new BenchFailure($"README.md has no '{ReadmeBegin}' … '{ReadmeEnd}' block to write the table into");
        var block = $"{ReadmeBegin}\n{Header()}\n\n{Table()}{ReadmeEnd}";
        File.WriteAllText(readmePath, readme[..begin] + block + readme[(end + ReadmeEnd.Length)..]);
        bench.Log("published: bench/RESULTS.md and the README's Benchmarks table");
    }

    private static string Mark(Verdict v) => v switch
    {
        Verdict.Met => "met",
        Verdict.Missed => "**missed**",
        Verdict.NotRun => "not run",
        Verdict.Failed => "**FAILED**",
        _ => "",
    };

    private string Command() => "bench/run.sh " + bench.Options.Set;

    private static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    private static string Cpu() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";

    private static double MemGiB() =>
        long.Parse(File.ReadLines("/proc/meminfo").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0 / 1024.0;

    private static string Kernel() => File.ReadAllText("/proc/sys/kernel/osrelease").Trim();

    private string Commit()
    {
        var head = Git("rev-parse", "--short", "HEAD");
        var dirty = Git("status", "--porcelain", "--untracked-files=no", "--", "src", "bench", "hocon.conf", ":!bench/RESULTS.md").Length > 0;
        return dirty ? head + " + uncommitted changes" : head;
    }

    private string Git(params string[] args)
    {
        var psi = new ProcessStartInfo("git", args) { RedirectStandardOutput = true, WorkingDirectory = bench.Repo, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return output;
    }
}
