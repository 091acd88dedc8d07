using Akka.Actor;
using Akka.Cluster;

namespace ActorService.Node.Shutdown;

/// <summary>Why a drain started; each reason is named in the shutdown report.</summary>
internal static class DrainReasons
{
    /// <summary>SIGTERM, SIGINT or SIGQUIT reached the host.</summary>
    public sealed class Signal(string name) : CoordinatedShutdown.Reason
    {
        public string Name { get; } = name;
        public override int ExitCode => ExitCodes.Clean;
        public override string ToString() => Name;
    }

    /// <summary>The host was asked to stop without a signal (for example by a test host).</summary>
    public sealed class HostStop : CoordinatedShutdown.Reason
    {
        public static readonly HostStop Instance = new();
        public override int ExitCode => ExitCodes.Clean;
        public override string ToString() => "host-stop";
    }

    /// <summary>POST /admin/drain.</summary>
    public sealed class AdminDrain : CoordinatedShutdown.Reason
    {
        public static readonly AdminDrain Instance = new();
        public override int ExitCode => ExitCodes.Clean;
        public override string ToString() => "admin-drain";
    }

    /// <summary>The cluster serves another ledger database than this node's (see Clustering/LedgerGate).</summary>
    public sealed class LedgerMismatch(string detail) : CoordinatedShutdown.Reason
    {
        public string Detail { get; } = detail;
        public override int ExitCode => ExitCodes.LedgerMismatch;
        public override string ToString() => "ledger-mismatch";
    }

    public static string Describe(CoordinatedShutdown.Reason? reason) => reason switch
    {
        null => "none",
        CoordinatedShutdown.ClusterDowningReason => "downed-by-cluster",
        CoordinatedShutdown.ClusterLeavingReason => "left-the-cluster",
        CoordinatedShutdown.ClrExitReason => "host-stop",
        _ => reason.ToString() ?? reason.GetType().Name,
    };
}
