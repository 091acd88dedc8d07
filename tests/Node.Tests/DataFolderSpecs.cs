using System.Diagnostics;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>
/// The README's first command, <c>dotnet run --project src/Node</c>, keeps its database in <c>./data</c> of the
/// directory it was typed in (as the docs say), and git ignores that folder in a clone.
/// </summary>
public sealed class DataFolderSpecs
{
    [Fact]
    public async Task Should_keep_the_database_in_data_under_the_directory_dotnet_run_is_typed_in()
    {
        var typedIn = Repo.NewWorkDir("dotnet-run");
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = typedIn, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "run", "--project", Path.Combine(Repo.Root, "src", "Node"), "--no-build", "-c", Repo.Configuration, "--",
                     "--http-port", Ports.Free().ToString(), "--cluster-port", Ports.Free().ToString() })
            psi.ArgumentList.Add(a);
        using var run = Process.Start(psi)!;
        run.OutputDataReceived += (_, _) => { };
        run.ErrorDataReceived += (_, _) => { };
        run.BeginOutputReadLine();
        run.BeginErrorReadLine();
        try
        {
            var expected = Path.Combine(typedIn, "data", "ledger.db");
            await Eventually.True(() => File.Exists(expected) || run.HasExited, TimeSpan.FromSeconds(60), $"{expected} to be created by dotnet run");
            Assert.True(File.Exists(expected), $"dotnet run exited ({(run.HasExited ? run.ExitCode : 0)}) without creating {expected}");
            Assert.False(Directory.Exists(Path.Combine(typedIn, "src")), "nothing is written relative to the project");
        }
        finally
        {
            if (!run.HasExited) run.Kill(entireProcessTree: true); // dotnet run and the node it started, by PID
            await run.WaitForExitAsync();
        }
    }

    [Theory]
    [InlineData("data/ledger.db")]
    [InlineData("src/Node/data/ledger.db")]
    public async Task Should_ignore_a_data_folder_when_git_status_runs_in_a_clone(string path)
    {
        var psi = new ProcessStartInfo("git", ["check-ignore", "--no-index", "-q", path]) { WorkingDirectory = Repo.Root };
        using var git = Process.Start(psi)!;
        await git.WaitForExitAsync();
        Assert.True(git.ExitCode == 0, $"git does not ignore {path} (git check-ignore exit {git.ExitCode})");
    }
}
