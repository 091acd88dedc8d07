using System.Diagnostics;

namespace ActorService.TestSupport;

/// <summary>A short command run to its end (<c>haproxy -c</c>, <c>ip</c>, <c>scripts/test-services.sh</c>): exit code and output.</summary>
public static class Command
{
    public sealed record Result(int Code, string Output)
    {
        public bool Ok => Code == 0;
    }

    public static async Task<Result> RunAsync(string file, IEnumerable<string> args, TimeSpan? within = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(within ?? TimeSpan.FromMinutes(2));
        try { await p.WaitForExitAsync(deadline.Token); }
        catch (OperationCanceledException)
        {
            p.Kill(); // by its own PID: the command we started and nothing else
            throw new TimeoutException($"{file} {string.Join(' ', psi.ArgumentList)} did not finish within {(within ?? TimeSpan.FromMinutes(2)).TotalSeconds:0} s");
        }
        return new Result(p.ExitCode, (await stdout + await stderr).Trim());
    }

    /// <summary>Runs the command and throws, with its output, unless it exits 0; returns its output.</summary>
    public static async Task<string> CheckAsync(string file, params string[] args)
    {
        var result = await RunAsync(file, args);
        if (!result.Ok) throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {result.Code}: {result.Output}");
        return result.Output;
    }
}
