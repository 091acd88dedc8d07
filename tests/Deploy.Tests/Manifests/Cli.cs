using System.ComponentModel;
using System.Diagnostics;

namespace ActorService.Deploy.Tests.Manifests;

/// <summary>What a command printed and how it ended.</summary>
public sealed record CliResult(string Command, int ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;
    public override string ToString() => $"`{Command}` exited {ExitCode}\n{Stderr}\n{Stdout}".TrimEnd();
}

/// <summary>Runs the command-line tools the deploy checks need (kubectl, node, npm) with a deadline.</summary>
public static class Cli
{
    public static async Task<CliResult> RunAsync(string file, IEnumerable<string> args, string? workingDirectory = null,
        string? stdin = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        var command = $"{file} {string.Join(' ', psi.ArgumentList)}";

        Process process;
        try { process = Process.Start(psi)!; }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(
                $"'{file}' is not on PATH ({e.Message}); the deploy checks need kubectl, node, npm and promtool (deploy/README.md, \"Offline checks\")", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (stdin is not null)
            {
                await process.StandardInput.WriteAsync(stdin);
                process.StandardInput.Close();
            }
            using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
            try { await process.WaitForExitAsync(deadline.Token); }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"`{command}` did not finish within {(timeout ?? TimeSpan.FromMinutes(2)).TotalSeconds:0} s");
            }
            return new CliResult(command, process.ExitCode, await stdout, await stderr);
        }
    }
}
