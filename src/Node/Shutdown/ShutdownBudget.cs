using System.Globalization;
using Akka.Actor;

namespace ActorService.Node.Shutdown;

/// <summary>
/// The time budget of a drain. The service phases' Akka timeouts are derived from <c>actor-service.drain</c>
/// (each deadline plus <c>phase-margin</c>), so our own task always reports before Akka would abandon it, and a
/// deadline changed by a flag can never outgrow its phase. Phase order is read from the HOCON phase graph.
/// </summary>
internal static class ShutdownBudget
{
    /// <summary>HOCON setting the timeouts of the phases whose work the node does itself.</summary>
    public static string PhaseTimeoutsHocon(Akka.Configuration.Config config)
    {
        var d = config.GetConfig("actor-service.drain");
        var margin = d.GetTimeSpan("phase-margin");
        var grace = d.GetTimeSpan("cancel-grace");
        var resources = d.GetStringList("close-order").Count;
        var timeouts = new Dictionary<string, TimeSpan>
        {
            [CoordinatedShutdown.PhaseBeforeServiceUnbind] = d.GetTimeSpan("lb-delay") + margin,
            [CoordinatedShutdown.PhaseServiceUnbind] = d.GetTimeSpan("refuse-window") + margin,
            [CoordinatedShutdown.PhaseServiceRequestsDone] = d.GetTimeSpan("request-deadline") + grace + margin,
            [CoordinatedShutdown.PhaseServiceStop] = d.GetTimeSpan("background-deadline") + grace + margin,
            [CoordinatedShutdown.PhaseBeforeActorSystemTerminate] = d.GetTimeSpan("resource-close-timeout") * Math.Max(resources, 1) + margin,
        };
        return string.Join('\n', timeouts.Select(kv =>
            $"akka.coordinated-shutdown.phases.{kv.Key}.timeout = {(long)kv.Value.TotalMilliseconds}ms"));
    }

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

    /// <summary>The sum of every phase's timeout: the longest a drain can take. Needs Akka's reference config as fallback.</summary>
    public static TimeSpan Total(Akka.Configuration.Config config)
    {
        var cs = config.GetConfig("akka.coordinated-shutdown");
        var fallback = cs.GetTimeSpan("default-phase-timeout");
        return OrderedPhases(config).Aggregate(TimeSpan.Zero, (sum, phase) =>
            sum + (cs.HasPath($"phases.{phase}.timeout") ? cs.GetTimeSpan($"phases.{phase}.timeout") : fallback));
    }

    /// <summary>What the host adds to the phase total for hosted services that stop after the drain (logging, timers).</summary>
    public static readonly TimeSpan HostMargin = TimeSpan.FromSeconds(5);

    /// <summary>
    /// <c>HostOptions.ShutdownTimeout</c>: the whole drain plus <see cref="HostMargin"/>. The deployment's grace period
    /// (Kubernetes' terminationGracePeriodSeconds) must be longer still; tests/Deploy.Tests checks it.
    /// </summary>
    public static TimeSpan HostShutdownTimeout(Akka.Configuration.Config config) => Total(config) + HostMargin;

    public static string Format(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
}
