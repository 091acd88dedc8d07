using System.Collections.Concurrent;
using System.Diagnostics;

namespace ActorService.TestSupport;

/// <summary>How to start one child process: the command, its environment, where its output goes.</summary>
public sealed record ChildStart(string Name, string FileName, IReadOnlyList<string> Arguments, string LogPath)
{
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>
    /// A command the process is started through, e.g. <c>ip netns exec ns1</c> (a network namespace) or a shell line
    /// that moves itself into a cgroup; each must end by exec'ing the rest, so the PID stays the process's own.
    /// </summary>
    public IReadOnlyList<string> Wrapper { get; init; } = [];

    /// <summary>How many output lines to keep in memory (all of them when null); the log file always has every line.</summary>
    public int? LinesInMemory { get; init; }
}

/// <summary>
/// The one process launcher of the tests and the bench: a child process with its output captured (a log file, and the
/// lines in memory for assertions), real signals by PID, and nothing ever ended by name. When
/// <c>ACTORSERVICE_PID_DIR</c> is set (bench/run.sh sets it), every running child has a file there named by its PID,
/// so a script's exit trap can stop what a crashed run left behind. A child keeps no file descriptor of ours beyond
/// its standard three (a lock such as the heavy-test lock must not live on in a child that outlives the run), and
/// children still running when this process exits are killed.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    public const string PidDirVariable = "ACTORSERVICE_PID_DIR";

    // Closes every inherited descriptor above 2, then execs the command (same PID). .NET opens its own with
    // close-on-exec, but ones inherited from our parent (flock's lock, a CI runner's pipes) would pass on.
    private const string CloseInheritedDescriptors =
        "for f in /proc/$$/fd/*; do n=${f##*/}; [ \"$n\" -gt 2 ] && { eval \"exec $n>&-\"; } 2>/dev/null; done; exec \"$@\"";

    private static readonly ConcurrentDictionary<int, ChildProcess> Running = new();

    static ChildProcess()
    {
        // A test host that exits without disposing (a fixture whose set-up failed) must not leave servers running.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var child in Running.Values) child.TrySignal(Signals.SIGKILL);
        };
    }

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly StreamWriter _log;
    private readonly int? _keep;
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string? _pidFile;
    private bool _closed; // guarded by _log: output that arrives after disposal is dropped, not written to a closed file

    private ChildProcess(ChildStart start, Process process, StreamWriter log)
    {
        Start = start;
        _process = process;
        _log = log;
        _keep = start.LinesInMemory;
        process.OutputDataReceived += (_, e) => Capture(e.Data);
        process.ErrorDataReceived += (_, e) => Capture(e.Data);
        process.Exited += (_, _) => OnExit();
        process.Start();
        Pid = process.Id;
        Running[Pid] = this;
        if (System.Environment.GetEnvironmentVariable(PidDirVariable) is { Length: > 0 } dir)
        {
            _pidFile = Path.Combine(dir, Pid.ToString());
            File.WriteAllText(_pidFile, start.Name);
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public ChildStart Start { get; }
    public string Name => Start.Name;
    public int Pid { get; }
    public string LogPath => Start.LogPath;
    public IReadOnlyCollection<string> Lines => _lines;
    public bool HasExited => _exited.Task.IsCompleted;
    public Task<int> Exited => _exited.Task;

    public static ChildProcess Run(ChildStart start)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(start.LogPath))!);
        foreach (var program in start.Wrapper.Take(1).Append(start.FileName))
            if (!IsInstalled(program)) throw new FileNotFoundException($"{program} is not installed (not on PATH): run scripts/install-test-deps.sh", program);
        var command = new[] { "bash", "-c", CloseInheritedDescriptors, "child" }.Concat(start.Wrapper).Concat([start.FileName, .. start.Arguments]).ToList();
        var psi = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // never inherit a terminal: a child must not read the user's keystrokes
            UseShellExecute = false,
        };
        foreach (var a in command.Skip(1)) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (k, v) in start.Environment)
            if (v is null) psi.Environment.Remove(k);
            else psi.Environment[k] = v;
        var log = new StreamWriter(start.LogPath, append: true) { AutoFlush = true };
        log.WriteLine($"# {string.Join(' ', command.Skip(4))}");
        try
        {
            return new ChildProcess(start, new Process { StartInfo = psi, EnableRaisingEvents = true }, log);
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }

    /// <summary>True when <paramref name="program"/> is a path to a file, or a name found on PATH.</summary>
    public static bool IsInstalled(string program) =>
        program.Contains('/')
            ? File.Exists(program)
            : (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
                .Any(dir => File.Exists(Path.Combine(dir, program)));

    private void Capture(string? line)
    {
        if (line is null) return;
        _lines.Enqueue(line);
        if (_keep is { } keep)
            while (_lines.Count > keep) _lines.TryDequeue(out _);
        lock (_log)
            if (!_closed) _log.WriteLine(line);
    }

    private void OnExit()
    {
        // Let the output readers finish before reporting the exit, so the last log lines are there.
        _process.WaitForExit();
        Running.TryRemove(Pid, out _);
        if (_pidFile is not null) File.Delete(_pidFile);
        _exited.TrySetResult(_process.ExitCode);
    }

    public void Signal(int signal) => Signals.Send(Pid, signal);

    /// <summary>The exit code; throws <see cref="TimeoutException"/> with the log's tail if it does not exit in time.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan within)
    {
        if (!await TryWaitForExitAsync(within))
            throw new TimeoutException($"{Name} (pid {Pid}) did not exit within {within.TotalSeconds:0} s; log: {LogPath}\n{Tail()}");
        return await _exited.Task;
    }

    public async Task<bool> TryWaitForExitAsync(TimeSpan within) =>
        await Task.WhenAny(_exited.Task, Task.Delay(within)) == _exited.Task;

    /// <summary>SIGTERM, up to <paramref name="grace"/> to exit, then SIGKILL: whatever state it was left in.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (HasExited) return;
        TrySignal(Signals.SIGCONT); // a frozen process cannot act on SIGTERM
        TrySignal(Signals.SIGTERM);
        if (await TryWaitForExitAsync(grace)) return;
        TrySignal(Signals.SIGKILL);
        await TryWaitForExitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Resident set size from /proc, in bytes.</summary>
    public long RssBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        throw new InvalidOperationException($"no VmRSS for {Name} ({Pid})");
    }

    /// <summary>Waits until an output line matches, and returns it.</summary>
    public Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan within, string what) =>
        Eventually.Get(() => Task.FromResult(_lines.FirstOrDefault(match)), within, $"{Name} to print {what} (log: {LogPath})");

    public string Tail(int lines = 30) => string.Join('\n', _lines.TakeLast(lines));

    private void TrySignal(int signal)
    {
        if (HasExited) return;
        try { Signal(signal); }
        catch (InvalidOperationException) { /* exited meanwhile */ }
    }

    /// <summary>Kills the process if it still runs (SIGKILL: a test that left it running is over).</summary>
    public async ValueTask DisposeAsync()
    {
        if (!HasExited)
        {
            TrySignal(Signals.SIGKILL);
            await TryWaitForExitAsync(TimeSpan.FromSeconds(10));
        }
        lock (_log)
        {
            _closed = true;
            _log.Dispose();
        }
        _process.Dispose();
    }
}
