using System.Globalization;
using Akka.Actor;

namespace ActorService.Node.Shutdown;

/// <summary>
/// The time budget of a drain, read from hocon.conf's phase graph (<c>akka.coordinated-shutdown.phases</c>): the
/// phases in run order, each one's timeout, their sum, and the host's shutdown timeout. Whether the timeouts fit the
/// deadlines of <c>actor-service.drain</c> is <see cref="DrainTimingRules"/>' business.
/// </summary>
internal static class ShutdownBudget
{
    /// <summary>Phases in the order CoordinatedShutdown runs them (a topological sort of <c>depends-on</c>).</summary>
    public static IReadOnlyList<string> OrderedPhases(Akka.Configuration.Config config)
    {
        var phases = config.GetConfig("akka.coordinated-shutdown.phases");
        var dependsOn = phases.AsEnumerable().Select(kv => kv.Key).Distinct()
            .ToDictionary(name => name, name => phases.GetStringList($"{name}.depends-on", []).ToList());
        var ordered = new List<string>();
        var visiting = new HashSet<string>();
        void Visit(string phase)
        {
            if (ordered.Contains(phase)) return;
            if (!visiting.Add(phase)) throw new InvalidOperationException($"cycle in coordinated-shutdown phases at {phase}");
            foreach (var dep in dependsOn.GetValueOrDefault(phase) ?? []) Visit(dep);
            ordered.Add(phase);
        }
        foreach (var phase in dependsOn.Keys.OrderBy(p => p, StringComparer.Ordinal)) Visit(phase);
        return ordered;
    }

    /// <summary>A phase's timeout as CoordinatedShutdown reads it: its own, else <c>default-phase-timeout</c>.</summary>
    public static TimeSpan PhaseTimeout(Akka.Configuration.Config config, string phase)
    {
        var cs = config.GetConfig("akka.coordinated-shutdown");
        return cs.HasPath($"phases.{phase}.timeout") ? cs.GetTimeSpan($"phases.{phase}.timeout") : cs.GetTimeSpan("default-phase-timeout");
    }

    /// <summary>The sum of every phase's timeout: the longest a drain can take. Needs Akka's reference config as fallback.</summary>
    public static TimeSpan Total(Akka.Configuration.Config config) =>
        OrderedPhases(config).Aggregate(TimeSpan.Zero, (sum, phase) => sum + PhaseTimeout(config, phase));

    /// <summary>What the host adds to the phase total for hosted services that stop after the drain (logging, timers).</summary>
    public static readonly TimeSpan HostMargin = TimeSpan.FromSeconds(5);

    /// <summary>
    /// <c>HostOptions.ShutdownTimeout</c>: the whole drain plus <see cref="HostMargin"/>. The deployment's grace period
    /// (Kubernetes' terminationGracePeriodSeconds) must be longer still (<see cref="DrainTimingRules"/>).
    /// </summary>
    public static TimeSpan HostShutdownTimeout(Akka.Configuration.Config config) => Total(config) + HostMargin;

    public static string Format(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
}
