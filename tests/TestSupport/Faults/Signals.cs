using System.Runtime.InteropServices;

namespace ActorService.TestSupport;

/// <summary>Real POSIX signals to processes the tests started (by PID, never by name).</summary>
public static partial class Signals
{
    public const int SIGHUP = 1, SIGINT = 2, SIGKILL = 9, SIGTERM = 15, SIGCONT = 18, SIGSTOP = 19;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    public static void Send(int pid, int signal)
    {
        if (kill(pid, signal) != 0)
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>
    /// SIGSTOP: the process stops, every thread, and cannot catch it — a long GC pause or a stalled VM. Its sockets
    /// stay open, so peers see silence rather than a closed connection. Returns once the kernel shows it stopped.
    /// Dispose the result (or call <see cref="Thaw"/>) to SIGCONT it.
    /// </summary>
    public static Frozen Freeze(int pid)
    {
        Send(pid, SIGSTOP);
        AwaitState(pid, stopped: true);
        return new Frozen(pid);
    }

    /// <summary>SIGCONT: a stopped process runs on from where it stood, unaware of the time that passed. Returns once it runs.</summary>
    public static void Thaw(int pid)
    {
        Send(pid, SIGCONT);
        AwaitState(pid, stopped: false);
    }

    // A signal is delivered when the target is next scheduled: on a busy machine /proc may show the old state for a while.
    private static void AwaitState(int pid, bool stopped)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (Directory.Exists($"/proc/{pid}") && IsStopped(pid) != stopped)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"pid {pid} is {(stopped ? "not stopped 5 s after SIGSTOP" : "still stopped 5 s after SIGCONT")}");
            Thread.Sleep(1);
        }
    }

    /// <summary>True while the process is stopped (state T in /proc/PID/stat).</summary>
    public static bool IsStopped(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('T');
        }
        catch (IOException) { return false; } // exited meanwhile
    }

    /// <summary>A process frozen by <see cref="Freeze"/>; disposing it thaws the process if it still exists.</summary>
    public sealed class Frozen(int pid) : IDisposable
    {
        private bool _thawed;

        public int Pid { get; } = pid;

        public void Dispose()
        {
            if (_thawed) return;
            _thawed = true;
            if (Directory.Exists($"/proc/{Pid}")) Thaw(Pid);
        }
    }
}
