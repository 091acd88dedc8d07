using ActorService.Actors.Accounts;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Hosting;

namespace ActorService.Node.Clustering;

/// <summary>
/// What a node woken from a pause asks its peers, and their answer. These cross the wire between nodes, including
/// between two releases during a rolling deploy: fields are only ever added.
/// </summary>
public static class MembershipQuestions
{
    /// <summary>"How do you see me?" The asker's address and incarnation (UniqueAddress).</summary>
    public sealed record HowDoYouSeeMe(string Address, long Uid);

    /// <summary>
    /// The answer: whether the asker (that incarnation) is a member in the peer's view, its status there, whether the
    /// peer finds it reachable, and whether the peer sees any member unreachable (a downing decision may be pending).
    /// </summary>
    public sealed record ISeeYou(bool Member, string Status, bool Reachable, bool AnyUnreachable);
}

/// <summary>
/// Lifts <see cref="PauseFence"/> only when the cluster says this node is still a member, and makes the node leave when
/// it says otherwise (issue 17 item 5, decision 4). After a pause the node asks every other member's witness
/// (<see cref="Witness"/>, on every node) how it sees this node, every 250 ms: a majority of the members in this node's
/// view (counting itself) must answer "Up, reachable, and nobody unreachable" (so no downing decision is pending).
/// A peer that answers "not a member" or "Down", or no confirmation within <c>confirm-within</c> (peers that removed a
/// node quarantine it and stop answering), downs this node: it drains and exits with code 4, never having served.
/// </summary>
internal static class MembershipConfirmation
{
    public const string WitnessName = "membership-witness";
    private static readonly TimeSpan AskEvery = TimeSpan.FromMilliseconds(250);

    /// <summary>Starts the fence's detector, this node's witness and the confirmer.</summary>
    public static AkkaConfigurationBuilder WithPauseFence(this AkkaConfigurationBuilder builder, PauseFence fence, TimeSpan after, TimeSpan confirmWithin) =>
        builder.WithActors((system, _) =>
        {
            system.ActorOf(Props.Create(() => new Witness()), WitnessName);
            var confirmer = system.ActorOf(Props.Create(() => new Confirmer(fence, confirmWithin)), "membership-confirmer");
            fence.Paused += gap => confirmer.Tell(new Confirmer.Paused(gap));
            fence.Start(after);
        });

    /// <summary>Answers <see cref="MembershipQuestions.HowDoYouSeeMe"/> from this node's view of the cluster.</summary>
    internal sealed class Witness : ReceiveActor
    {
        public Witness()
        {
            var cluster = Akka.Cluster.Cluster.Get(Context.System);
            Receive<MembershipQuestions.HowDoYouSeeMe>(q =>
            {
                var state = cluster.State;
                var member = state.Members.FirstOrDefault(m => m.UniqueAddress.Uid == q.Uid && m.Address.ToString() == q.Address);
                Sender.Tell(member is null
                    ? new MembershipQuestions.ISeeYou(false, "Removed", false, state.Unreachable.Count > 0)
                    : new MembershipQuestions.ISeeYou(true, member.Status.ToString(), !state.Unreachable.Contains(member), state.Unreachable.Count > 0));
            });
        }
    }

    /// <summary>Asks the peers after a pause until the fence can be lifted, or downs this node.</summary>
    internal sealed class Confirmer : ReceiveActor, IWithTimers
    {
        public sealed record Paused(TimeSpan Gap);
        private sealed record AskRound;
        private sealed record Answer(UniqueAddress Peer, MembershipQuestions.ISeeYou? Seen);

        private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
        private readonly ILoggingAdapter _log = Context.GetLogger();
        private readonly PauseFence _fence;
        private readonly TimeSpan _confirmWithin;
        private readonly HashSet<UniqueAddress> _confirmedBy = [];
        private DateTime _pausedAt;
        private bool _confirming, _leaving;

        public ITimerScheduler Timers { get; set; } = null!;

        public Confirmer(PauseFence fence, TimeSpan confirmWithin)
        {
            _fence = fence;
            _confirmWithin = confirmWithin;
            Receive<Paused>(p =>
            {
                _log.Warning("This process stood still for {0:0} ms (SIGSTOP, a stalled VM or a GC pause): not ready and refusing requests until a majority of the members confirm it is still a member",
                    p.Gap.TotalMilliseconds);
                _pausedAt = DateTime.UtcNow;
                _confirmedBy.Clear();
                if (_confirming) return;
                _confirming = true;
                Self.Tell(new AskRound());
                Timers.StartPeriodicTimer("ask", new AskRound(), AskEvery);
            });
            Receive<AskRound>(_ => AskPeers());
            Receive<Answer>(OnAnswer);
        }

        private void AskPeers()
        {
            if (!_confirming || _leaving) return;
            if (DateTime.UtcNow - _pausedAt > _confirmWithin)
            {
                Leave($"no majority of the members confirmed it within {_confirmWithin.TotalSeconds:0.#} s");
                return;
            }
            var self = _cluster.SelfUniqueAddress;
            if (_cluster.State.Members.All(m => m.UniqueAddress.Equals(self)))
            {
                Confirmed("it is the only member"); // nobody else could have taken its shards
                return;
            }
            var question = new MembershipQuestions.HowDoYouSeeMe(self.Address.ToString(), self.Uid);
            foreach (var peer in _cluster.State.Members.Where(m => !m.UniqueAddress.Equals(self)).Select(m => m.UniqueAddress))
            {
                Context.ActorSelection(new RootActorPath(peer.Address) / "user" / WitnessName)
                    .Ask<MembershipQuestions.ISeeYou>(question, AskEvery * 4)
                    .PipeTo(Self, success: seen => new Answer(peer, seen), failure: _ => new Answer(peer, null));
            }
        }

        private void OnAnswer(Answer a)
        {
            if (!_confirming || _leaving || a.Seen is not { } seen) return;
            if (!seen.Member || seen.Status is "Down" or "Removed")
            {
                Leave($"{a.Peer.Address} sees it as {(seen.Member ? seen.Status : "no longer a member")}");
                return;
            }
            if (seen.Status != "Up" || !seen.Reachable || seen.AnyUnreachable) return;
            _confirmedBy.Add(a.Peer);
            var members = _cluster.State.Members.Count;
            if (_confirmedBy.Count + 1 <= members / 2) return; // a majority of the members, this node included
            Confirmed("by " + string.Join(", ", _confirmedBy.Select(p => p.Address)));
        }

        private void Confirmed(string how)
        {
            _confirming = false;
            Timers.Cancel("ask");
            _fence.Lift();
            _log.Info("Membership confirmed {0} {1:0} ms after the pause: ready again and serving", how, (DateTime.UtcNow - _pausedAt).TotalMilliseconds);
        }

        /// <summary>Down this node: Akka drains it (run-coordinated-shutdown-when-down) and it exits with code 4.</summary>
        private void Leave(string why)
        {
            _leaving = true;
            Timers.Cancel("ask");
            _log.Warning("Leaving after the pause without serving: {0}. Downing this node (exit code 4)", why);
            _cluster.Down(_cluster.SelfAddress);
            // A node no peer talks to any more may never see its own Down gossiped back: start the drain directly too.
            _ = CoordinatedShutdown.Get(Context.System).Run(CoordinatedShutdown.ClusterDowningReason.Instance);
        }
    }
}
