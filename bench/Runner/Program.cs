using ActorService.Bench.Infra;
using ActorService.Bench.Report;
using ActorService.Bench.Scenarios;

// bench/run.sh builds Release and runs this: every scenario of the chosen set, then the results table.
BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
    if (options.HelpRequested)
    {
        Console.WriteLine(BenchOptions.Usage);
        return 0;
    }
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

var bench = new BenchContext(options);
var book = new ResultBook(bench);
book.NoteCommit();
bench.Log($"bench {options.Set}: rounds {options.Rounds} (intake gate {options.GateRounds}), {options.Measure.TotalSeconds:0} s per run, " +
          $"{options.Warmup.TotalSeconds:0} s warm-up; logs in {bench.RunDir}");

var scenarios = Catalog.For(options.Set, bench, book);
foreach (var (name, run) in scenarios)
{
    bench.Log($"== {name}");
    try
    {
        await run();
    }
    catch (Exception e)
    {
        bench.Log($"SCENARIO FAILED: {name}: {e}");
        book.Add(new ResultRow(name, "scenario failed", e is BenchFailure ? e.Message.Split('\n')[0] : e.GetType().Name + ": " + e.Message.Split('\n')[0], "", Verdict.Failed));
    }
}

book.Write(publish: options.Set == "all" && !book.AnyFailed);
Console.WriteLine();
Console.WriteLine(book.Table());
if (book.AnyFailed)
{
    Console.Error.WriteLine("bench: at least one scenario FAILED (see above and " + bench.RunDir + ")");
    return 1;
}
return 0;
