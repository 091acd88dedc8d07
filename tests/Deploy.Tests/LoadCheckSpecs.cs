using ActorService.Deploy.Tests.Manifests;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Deploy.Tests;

/// <summary>
/// deploy/k8s/load-check.sh, the README's proof of a rolling update without errors, counts correctly: against a
/// real node it sees every deposit acknowledged and in the balances, and it fails when requests fail.
/// </summary>
public sealed class LoadCheckSpecs(ProbedNode probed) : IClassFixture<ProbedNode>
{
    private static readonly string Script = Path.Combine(DeployPaths.K8s, "load-check.sh");

    [Fact]
    public async Task Should_find_every_acknowledged_deposit_in_the_balances_when_the_node_serves()
    {
        var result = await RunAsync(probed.Node.BaseUri.ToString().TrimEnd('/'), requests: 60, accounts: 5);
        Assert.True(result.Succeeded, $"load-check failed against a serving node: {result}");
        Assert.EndsWith("60 ok, 0 errors; balances sum to 60 (expected 60)", result.Stdout.Trim());
    }

    [Fact]
    public async Task Should_fail_and_count_errors_when_requests_are_refused()
    {
        var result = await RunAsync($"http://127.0.0.1:{Ports.Free()}", requests: 4, accounts: 2);
        Assert.False(result.Succeeded, $"load-check passed although nothing listened: {result}");
        Assert.Contains("request 0 to ", result.Stdout);
        Assert.EndsWith("0 ok, 4 errors; balances sum to 0 (expected 0)", result.Stdout.Trim());
    }

    private static Task<CliResult> RunAsync(string baseUrl, int requests, int accounts) =>
        Cli.RunAsync("env", [$"BASE_URL={baseUrl}", "sh", Script, requests.ToString(), accounts.ToString()], timeout: TimeSpan.FromMinutes(2));
}
