using ActorService.Node.Config;
using ActorService.Node.Shutdown;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>
/// The node process as a user meets it on the command line: --help lists every flag with its variable, and a bad
/// value stops it at once with exit code 2 and a message that names the flag. (Real processes: exit codes and what
/// reaches the terminal are the point.)
/// </summary>
public sealed class CommandLineSpecs
{
    private static readonly TimeSpan ExitWithin = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Should_print_every_flag_with_its_variable_and_exit_0_when_asked_for_help()
    {
        await using var node = NodeProcess.Start(NodeLaunch.Single(Repo.NewWorkDir("help")) with { ExtraArgs = ["--help"] }, "help");
        Assert.Equal(ExitCodes.Clean, await node.WaitForExitAsync(ExitWithin));
        var output = string.Join('\n', node.Lines);
        var missing = Overrides.All.Where(o => !node.Lines.Any(l => l.Contains(o.Flag) && l.Contains($"[{o.EnvVar}]"))).Select(o => o.Flag).ToList();
        Assert.True(missing.Count == 0, $"--help lacks {string.Join(", ", missing)}:\n{output}");
        Assert.DoesNotContain(node.Lines, l => l.Contains("starting"));
    }

    [Theory]
    [InlineData(new[] { "--http-port", "eighty" }, "--http-port")]
    [InlineData(new[] { "--lb-delay", "soon" }, "--lb-delay")]
    [InlineData(new[] { "--no-such-flag", "1" }, "--no-such-flag")]
    [InlineData(new[] { "--seeds" }, "--seeds")]
    public async Task Should_exit_2_naming_the_flag_when_a_value_is_bad(string[] args, string flag)
    {
        await using var node = NodeProcess.Start(NodeLaunch.Single(Repo.NewWorkDir("bad-flag")) with { ExtraArgs = args }, "bad-flag");
        Assert.Equal(ExitCodes.BadConfiguration, await node.WaitForExitAsync(ExitWithin));
        Assert.True(node.Lines.Any(l => l.StartsWith("actorservice: ", StringComparison.Ordinal) && l.Contains(flag)),
            $"expected a message naming {flag}:\n{node.Tail()}");
    }
}
