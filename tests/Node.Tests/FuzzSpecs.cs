using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using ActorService.Node.Tests.Fuzzing;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>
/// Thousands of random and mutated requests (random bytes, truncated and mutated JSON, random methods, paths and
/// headers, broken HTTP framing on raw sockets) against one node built in-process with production settings (real
/// Kestrel on a loopback port, the Production environment, no test hooks). Afterwards: no response was a 5xx or carried a
/// stack trace, nothing was logged at error level, the node is alive and ready, and the accounts seeded before the
/// fuzzing hold exactly what they held. The seed is fixed (override with ACTORSERVICE_FUZZ_SEED) and printed in every
/// failure, so a failure reproduces.
/// </summary>
[Collection(nameof(RunsAlone))]
public sealed class FuzzSpecs(ITestOutputHelper output)
{
    private const int DefaultSeed = 7_2026;
    private const int HttpWorkers = 8, RequestsPerHttpWorker = 1500;
    // Raw requests mostly wait for a silence (a truncated request gets no answer), so more of them run at once.
    private const int RawWorkers = 32, RequestsPerRawWorker = 50; // 1,600 raw requests, as many waiting at once as the HTTP workers keep busy
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(35);

    [Fact]
    public async Task Should_answer_no_5xx_and_keep_state_and_readiness_when_fuzzed_with_thousands_of_bad_requests()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("ACTORSERVICE_FUZZ_SEED"), CultureInfo.InvariantCulture, out var s) ? s : DefaultSeed;
        await using var node = await InProcessNode.StartReadyAsync(NodeLaunch.Single(Repo.NewWorkDir("fuzz")) with
        {
            TestHooks = false, // production settings: no X-Test-Delay-Ms for the fuzzer to stumble on
            Environment = new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Production" },
            AdminToken = Guid.NewGuid().ToString("N"), // a token the fuzzer cannot know: admin stays closed to it
        });
        var seeded = await SeedAccounts(node.Http, seed);
        var before = await Checksum(node.Http, seeded);
        var logLinesBefore = node.Lines.Count;

        var failures = new ConcurrentQueue<string>();
        var statuses = new ConcurrentDictionary<string, int>();
        var sent = 0;
        var clock = Stopwatch.StartNew();
        async Task Fuzz(int worker, int count, bool raw)
        {
            var fuzzer = new RequestFuzzer(seed * 31 + worker);
            using var http = NodeProcess.NewClient(node.BaseUri, TimeSpan.FromSeconds(15));
            for (var i = 0; i < count && clock.Elapsed < Budget && failures.IsEmpty; i++)
            {
                var request = raw ? fuzzer.NextRaw() : fuzzer.NextHttp();
                var outcome = raw ? await SendRaw(node, request.Raw!) : await SendHttp(http, request);
                Interlocked.Increment(ref sent);
                statuses.AddOrUpdate(outcome.Label, 1, (_, n) => n + 1);
                if (outcome.Failure is { } failure) failures.Enqueue($"{failure}\n  request: seed {seed}, worker {worker}, request #{i}: {request}");
            }
        }
        await Task.WhenAll(
            Enumerable.Range(0, HttpWorkers).Select(w => Task.Run(() => Fuzz(w, RequestsPerHttpWorker, raw: false)))
                .Concat(Enumerable.Range(HttpWorkers, RawWorkers).Select(w => Task.Run(() => Fuzz(w, RequestsPerRawWorker, raw: true)))));
        output.WriteLine($"seed {seed}: {sent} requests in {clock.Elapsed.TotalSeconds:0.0} s; answers: " +
                         string.Join(", ", statuses.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key} ×{kv.Value}")));

        Assert.True(failures.IsEmpty, $"fuzzing (seed {seed}, reproduce with ACTORSERVICE_FUZZ_SEED={seed}) got:\n{string.Join("\n", failures.Take(5))}");
        Assert.True(sent >= 2000, $"only {sent} fuzzed requests were sent within {Budget.TotalSeconds} s (seed {seed}); the fuzzing proved too little");
        Assert.False(node.HasExited, $"the node died while fuzzed (seed {seed}); log: {node.LogPath}\n{node.Tail()}");
        await node.WaitReadyAsync(TimeSpan.FromSeconds(15));
        var errors = node.Lines.Skip(logLinesBefore).Where(l => l.Contains(" ERR]", StringComparison.Ordinal) || l.Contains(" FTL]", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, $"the node logged errors while fuzzed (seed {seed}); log: {node.LogPath}\n{string.Join("\n", errors.Take(5))}");
        var after = await Checksum(node.Http, seeded);
        Assert.True(before == after, $"seeded accounts changed while fuzzed (seed {seed}):\nbefore {before}\nafter  {after}");
    }

    private sealed record Outcome(string Label, string? Failure);

    private static async Task<Outcome> SendHttp(HttpClient http, FuzzRequest fuzz, bool retried = false)
    {
        HttpRequestMessage request;
        try
        {
            // Absolute, so a path starting with "//" stays a path instead of naming another host.
            request = new HttpRequestMessage(new HttpMethod(fuzz.Method), new Uri(http.BaseAddress + fuzz.Path));
            if (fuzz.Body.Length > 0 || fuzz.Method is "POST" or "PUT" or "PATCH") request.Content = new ByteArrayContent(fuzz.Body);
            foreach (var (name, value) in fuzz.Headers)
                if (!request.Headers.TryAddWithoutValidation(name, value)) request.Content?.Headers.TryAddWithoutValidation(name, value);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or UriFormatException)
        {
            return new Outcome("not sendable by HttpClient", null);
        }
        using (request)
        {
            try
            {
                using var response = await http.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                var status = (int)response.StatusCode;
                return new Outcome(status.ToString(CultureInfo.InvariantCulture), Judge(status, body));
            }
            catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.ResponseEnded && !retried)
            {
                // The kept-alive connection was closed by the server (after an earlier request's unread body) just as
                // this request went out on it. Send it once more on a fresh connection, so it is judged on its own.
                using var fresh = NodeProcess.NewClient(http.BaseAddress!, http.Timeout);
                return await SendHttp(fresh, fuzz, retried: true);
            }
            catch (HttpRequestException e)
            {
                // HttpClient refused the request itself (invalid header characters) or the server closed the
                // connection after a protocol error; either way no 5xx was answered, and liveness is checked after.
                return new Outcome($"no HTTP answer ({e.HttpRequestError})", null);
            }
            catch (InvalidOperationException)
            {
                return new Outcome("not sendable by HttpClient", null);
            }
            catch (TaskCanceledException)
            {
                return new Outcome("client timeout", "no answer within the client's 15 s timeout");
            }
        }
    }

    private static async Task<Outcome> SendRaw(InProcessNode node, byte[] payload)
    {
        var reply = await RawHttp.SendAsync(node.Launch.HttpPort, payload, firstByte: TimeSpan.FromSeconds(1), idle: TimeSpan.FromMilliseconds(200));
        // 505 is HTTP's own answer to a request line naming a version other than 1.x (Kestrel sends it, with no
        // body, before any of our code runs): a correct refusal of the request, not a server failure.
        var failure = reply.Statuses.Where(status => status != 505 || !UnsupportedVersion(payload))
            .Select(status => Judge(status, reply.Text)).FirstOrDefault(f => f is not null);
        var label = reply.Statuses.Count == 0 ? (reply.Silent ? "raw: no answer within 1 s (incomplete request)" : "raw: closed without answer") : "raw " + string.Join("+", reply.Statuses);
        return new Outcome(label, failure);
    }

    private static bool UnsupportedVersion(byte[] payload)
    {
        var text = Encoding.Latin1.GetString(payload);
        var firstLine = text.Split('\n')[0];
        return !firstLine.TrimEnd('\r').EndsWith(" HTTP/1.1", StringComparison.Ordinal) && !firstLine.TrimEnd('\r').EndsWith(" HTTP/1.0", StringComparison.Ordinal);
    }

    private static string? Judge(int status, string body) =>
        status >= 500 ? $"answered {status}: {Clip(body)}"
        : body.Contains("   at ", StringComparison.Ordinal) && body.Contains("Exception", StringComparison.Ordinal) ? $"answered {status} with a stack trace: {Clip(body)}"
        : null;

    private static string Clip(string s) => s.Length <= 400 ? s : s[..400] + "…";

    /// <summary>Accounts the fuzzer never names: "seed-" plus 32 random hex digits (its ids are fz-N or junk).</summary>
    private static async Task<List<string>> SeedAccounts(HttpClient http, int seed)
    {
        var random = new Random(seed);
        var ids = Enumerable.Range(0, 20).Select(_ => "seed-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))).ToList();
        foreach (var id in ids)
        {
            var deposit = await http.Deposit(id, random.Next(1000, 1_000_000));
            Assert.True(deposit.Status == HttpStatusCode.OK, $"seeding {id}: {deposit}");
            var withdraw = await http.Withdraw(id, random.Next(1, 1000));
            Assert.True(withdraw.Status == HttpStatusCode.OK, $"seeding {id}: {withdraw}");
        }
        return ids;
    }

    private static async Task<string> Checksum(HttpClient http, IEnumerable<string> ids)
    {
        var lines = new StringBuilder();
        foreach (var id in ids)
        {
            var read = await http.GetAccount(id);
            Assert.True(read.Status == HttpStatusCode.OK, $"reading seeded account {id}: {read}");
            lines.Append(id).Append('=').Append(read.Balance).Append('\n');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(lines.ToString())))[..16] + $" ({lines.ToString().Replace('\n', ' ')[..80]}…)";
    }
}
