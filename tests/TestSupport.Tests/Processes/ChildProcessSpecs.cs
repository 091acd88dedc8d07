using System.Runtime.InteropServices;
using Xunit;

namespace ActorService.TestSupport.Tests.Processes;

/// <summary>
/// The launcher starts exactly the command (its PID is the command's, so signals reach it), and a child keeps none of
/// our file descriptors beyond the standard three: an inherited lock must not outlive the run in an orphaned child.
/// </summary>
public sealed partial class ChildProcessSpecs
{
    [LibraryImport("libc", SetLastError = true)]
    private static partial int dup(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [Fact]
    public async Task Should_give_the_command_its_own_pid_and_none_of_our_descriptors_when_it_is_started()
    {
        var inherited = dup(2); // dup() leaves close-on-exec off: the kind of descriptor a child would inherit
        Assert.True(inherited > 2, $"dup failed: errno {Marshal.GetLastPInvokeError()}");
        try
        {
            await using var child = ChildProcess.Run(new ChildStart("sleeper", "sleep", ["30"], Path.Combine(Repo.NewWorkDir("child"), "sleeper.log")));
            await Eventually.True(() => File.ReadAllText($"/proc/{child.Pid}/cmdline").StartsWith("sleep\0", StringComparison.Ordinal),
                TimeSpan.FromSeconds(10), $"pid {child.Pid} to be the sleep command itself");
            // Only once it sleeps: just after exec the dynamic loader and the C library hold fd 3 for a moment (libc.so.6,
            // gconv-modules.cache), which a loaded CI machine once caught. An inherited descriptor would still be there.
            await Eventually.True(() => File.ReadAllText($"/proc/{child.Pid}/wchan").Contains("nanosleep", StringComparison.Ordinal),
                TimeSpan.FromSeconds(10), $"pid {child.Pid} to be asleep in its nanosleep");

            var descriptors = Directory.GetFiles($"/proc/{child.Pid}/fd").Select(f => int.Parse(Path.GetFileName(f))).Order().ToList();

            Assert.True(descriptors.SequenceEqual([0, 1, 2]),
                $"the child should hold only 0, 1 and 2, but holds {string.Join(", ", descriptors.Select(fd => $"{fd} ({Target(child.Pid, fd)})"))}");
            child.Signal(Signals.SIGTERM);
            Assert.Equal(143, await child.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        }
        finally
        {
            close(inherited);
        }
    }

    private static string Target(int pid, int fd)
    {
        try { return new FileInfo($"/proc/{pid}/fd/{fd}").LinkTarget ?? "?"; }
        catch (IOException) { return "closed meanwhile"; }
    }

    [Fact]
    public void Should_say_what_is_missing_when_the_command_is_not_installed()
    {
        var e = Assert.Throws<FileNotFoundException>(() =>
            ChildProcess.Run(new ChildStart("nothing", "no-such-command-here", [], Path.Combine(Repo.NewWorkDir("child"), "nothing.log"))));
        Assert.Contains("no-such-command-here is not installed", e.Message);
    }
}
