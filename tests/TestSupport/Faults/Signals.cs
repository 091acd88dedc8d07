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
    /// SIGSTOP: the process stops at once, every thread, and cannot catch it — a long GC pause or a stalled VM. Its
    /// sockets stay open, so peers see silence rather than a closed connection. Dispose the result (or call
    /// <see cref="Thaw"/>) to SIGCONT it.
    /// </summary>
    public static Frozen Freeze(int pid)
    {
        Send(pid, SIGSTOP);
        return new Frozen(pid);
    }

    /// <summary>SIGCONT: a stopped process runs on from where it stood, unaware of the time that passed.</summary>
    public static void Thaw(int pid) => Send(pid, SIGCONT);

    /// <summary>True while the process is stopped (state T in /proc/PID/stat).</summary>
    public static bool IsStopped(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('T');
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
