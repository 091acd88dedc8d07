using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ActorService.Bench.Infra;

/// <summary>
/// A process the benchmark started (node, baseline, HAProxy, wrk), its output in a log file, its PID registered for
/// the exit trap. Stopped by its own PID only: SIGTERM and a wait, SIGKILL if it does not go.
/// </summary>
internal sealed partial class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly string _pidFile;

    private ServiceProcess(string name, Process process, StreamWriter log, string logPath, string pidFile)
    {
        Name = name;
        _process = process;
        _log = log;
        LogPath = logPath;
        _pidFile = pidFile;
    }

    public string Name { get; }
    public string LogPath { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    public static ServiceProcess Start(BenchContext bench, string name, string fileName, IEnumerable<string> args, string logPath,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // never inherit the terminal: a child must not read the user's keystrokes
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        log.WriteLine($"# {fileName} {string.Join(' ', psi.ArgumentList)}");
        var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => { if (e.Data is { } l) lock (log) log.WriteLine(l); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } l) lock (log) log.WriteLine(l); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var pidFile = Path.Combine(bench.PidDir, process.Id.ToString());
        File.WriteAllText(pidFile, name);
        return new ServiceProcess(name, process, log, logPath, pidFile);
    }

    /// <summary>Sends a signal to this process only.</summary>
    public void Signal(int signal)
    {
        if (!_process.HasExited && Kill(_process.Id, signal) != 0)
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    public const int SIGKILL = 9, SIGTERM = 15;

    /// <summary>True when the process exited within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Resident set size from /proc, in bytes.</summary>
    public long RssBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        throw new InvalidOperationException($"no VmRSS for {Name} ({_process.Id})");
    }

    public string Tail(int lines = 30)
    {
        lock (_log) _log.Flush();
        try
        {
            using var reader = new StreamReader(new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
            return string.Join('\n', reader.ReadToEnd().Split('\n').TakeLast(lines));
        }
        catch (IOException e)
        {
            return $"(cannot read {LogPath}: {e.Message})";
        }
    }

    /// <summary>SIGTERM, wait, then SIGKILL: whatever state the scenario left it in.</summary>
    public async Task StopAsync(TimeSpan? grace = null)
    {
        if (!_process.HasExited)
        {
            Signal(SIGTERM);
            if (!await WaitForExitAsync(grace ?? TimeSpan.FromSeconds(30)))
            {
                Signal(SIGKILL);
                await WaitForExitAsync(TimeSpan.FromSeconds(10));
            }
        }
        File.Delete(_pidFile);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
        lock (_log) _log.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
