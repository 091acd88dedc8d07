using ActorService.Bench.Baseline;

// The bare baseline: the ledger's HTTP contract (docs/api.md) from an in-memory dictionary, nothing else.
// Usage: ActorService.Bench.Baseline --http-port N
var port = args.Length == 2 && args[0] == "--http-port" && int.TryParse(args[1], out var p) ? p
    : throw new ArgumentException("usage: ActorService.Bench.Baseline --http-port N");

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
builder.Logging.ClearProviders().AddConsole().SetMinimumLevel(LogLevel.Warning); // the node logs no line per request either
builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
builder.Services.AddProblemDetails();
builder.Services.AddSingleton<MemoryLedger>();

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.MapGet("/health/ready", () => TypedResults.Ok(new { status = "Healthy" }));
app.MapBaselineLedgerApi();
app.Run();
