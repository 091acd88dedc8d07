using Xunit;

namespace ActorService.Node.Tests;

/// <summary>
/// Spec classes that must have the machine to themselves, run one at a time once the parallel classes are done: they
/// assert an upper bound on a time (readiness within 1 s of SIGTERM, probes within a bound under a full listener, a
/// normal client's latency beside a slowloris), load the node on purpose (fuzzing, overload, steady load), depend on
/// a failure detector or a drain's deadlines, or read a stream other specs also write (the shared Redis's events).
/// A second spec beside them would measure the machine, not the node.
/// </summary>
[CollectionDefinition(nameof(RunsAlone), DisableParallelization = true)]
public sealed class RunsAlone;
