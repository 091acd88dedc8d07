using ActorService.Node.Shutdown;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using static ActorService.Node.Clustering.LedgerGateMessages;

namespace ActorService.Node.Clustering;

/// <summary>
/// One ledger per cluster. Every node serves exactly one ledger database, named by the id the database got when its
/// schema was created (<c>ledger_meta.ledger_id</c>). A node pointed at another database (an empty data folder, a wrong
/// connection string) must never become a member: the cluster would hand it shards, and the writes it acknowledged
/// would live in a database the other nodes never read.
/// <para>
/// Akka.NET has no join-time configuration check (JVM Akka's <c>JoinConfigCompatChecker</c>; Akka.NET 1.5.73's
/// <c>ClusterCoreDaemon.InitJoin</c> still says "TODO: add config checking"), so the node asks before it joins:
/// <see cref="LedgerCheckedJoin"/> (seed nodes) and <see cref="LedgerCheckingJoinDecider"/> (Kubernetes bootstrap) send
/// <see cref="CheckSeeds"/> here, and this actor sends <see cref="JoinCheck"/> to the gate of each seed. A seed that
/// serves another ledger logs the refusal and answers so; the asking node then logs why and shuts down with
/// <see cref="ExitCodes.LedgerMismatch"/> without ever having joined, so it never hosts a shard.
/// </para>
/// <para>
/// For a member that joined without asking (an older release, or a joiner that raced the check), every member also
/// asks each new member <see cref="WhichLedger"/>: of two members with different ledgers the senior one (Up before
/// Joining, then the older) downs the other and logs it; the junior one shuts itself down with exit code 5.
/// </para>
/// </summary>
internal sealed class LedgerGate : ReceiveActor
{
    public const string Name = "ledger-gate";

    /// <summary>How long a node waits for another node's gate to answer (Identify, then the question).</summary>
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Check these seeds before joining them (from this node's own join path).</summary>
    public sealed record CheckSeeds(IReadOnlyList<Address> Seeds);

    /// <summary>The outcome: <see cref="Verdict.Refused"/> means this node is shutting down (exit code 5).</summary>
    public sealed record SeedsChecked(Verdict Verdict, string Detail);

    public enum Verdict
    {
        /// <summary>A seed serves the same ledger (or there is no other seed to ask): join.</summary>
        Same,
        /// <summary>A seed answered and has no ledger gate (a release before this check): join, with a warning.</summary>
        Unchecked,
        /// <summary>No seed answered in time: ask again.</summary>
        Silent,
        /// <summary>A seed serves another ledger: never join.</summary>
        Refused,
    }

    private sealed record Checked(SeedsChecked Result, IActorRef ReplyTo);
    private sealed record MemberLedger(UniqueAddress Member, string? LedgerId);

    private readonly string _ledgerId;
    private readonly string _where;
    private readonly string _appVersion;
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<UniqueAddress, string> _otherLedgers = [];
    private readonly HashSet<UniqueAddress> _asked = [];
    private bool _shuttingDown;

    public LedgerGate(string ledgerId, string where, string appVersion)
    {
        _ledgerId = ledgerId;
        _where = where;
        _appVersion = appVersion;

        Receive<JoinCheck>(OnJoinCheck);
        Receive<WhichLedger>(_ => Sender.Tell(new LedgerIs(_ledgerId)));
        Receive<CheckSeeds>(m =>
        {
            var replyTo = Sender;
            var question = new JoinCheck(_ledgerId, _cluster.SelfAddress.ToString(), _appVersion);
            AskSeedsAsync(Context.System, m.Seeds.Where(s => !s.Equals(_cluster.SelfAddress)).ToList(), question)
                .PipeTo(Self, success: r => new Checked(r, replyTo),
                    failure: e => new Checked(new SeedsChecked(Verdict.Silent, e.GetBaseException().Message), replyTo));
        });
        Receive<Checked>(m =>
        {
            if (m.Result.Verdict == Verdict.Refused) RefuseSelf(m.Result.Detail, "This node did not join and hosts no shard");
            else if (m.Result.Verdict == Verdict.Unchecked) _log.Warning("Ledger check: {0}; joining without it", m.Result.Detail);
            m.ReplyTo.Tell(m.Result);
        });

        Receive<ClusterEvent.MemberJoined>(e => AskLedgerOf(e.Member));
        Receive<ClusterEvent.MemberWeaklyUp>(e => AskLedgerOf(e.Member));
        Receive<ClusterEvent.MemberUp>(e =>
        {
            AskLedgerOf(e.Member);
            Evaluate(); // seniority changed
        });
        Receive<ClusterEvent.MemberRemoved>(e =>
        {
            _otherLedgers.Remove(e.Member.UniqueAddress);
            _asked.Remove(e.Member.UniqueAddress);
        });
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<ClusterEvent.CurrentClusterState>(s =>
        {
            foreach (var m in s.Members) AskLedgerOf(m);
        });
        Receive<MemberLedger>(m =>
        {
            if (m.LedgerId is null) return; // a release without the gate, or gone: nothing to compare
            _otherLedgers[m.Member] = m.LedgerId;
            Evaluate();
        });
    }

    protected override void PreStart() =>
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.IMemberEvent));

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    private void OnJoinCheck(JoinCheck m)
    {
        var same = m.LedgerId == _ledgerId;
        if (!same)
            _log.Warning("Refused node {0} (app-version {1}): it serves ledger {2}, this cluster serves ledger {3}; it will not join",
                m.Address, m.AppVersion, m.LedgerId, _ledgerId);
        Sender.Tell(new JoinCheckResult(_ledgerId, same));
    }

    /// <summary>Asks every seed at once; one refusal decides, else one welcome (or an old release's silence on the question) does.</summary>
    private static async Task<SeedsChecked> AskSeedsAsync(ActorSystem system, IReadOnlyList<Address> seeds, JoinCheck question)
    {
        if (seeds.Count == 0) return new SeedsChecked(Verdict.Same, "no other seed node to ask");
        var answers = await Task.WhenAll(seeds.Select(async seed => new SeedAnswer(seed, await AskGateAsync(system, seed, question))));
        if (answers.FirstOrDefault(a => a.Answer is JoinCheckResult { Accepted: false }) is { Answer: JoinCheckResult refused } r)
            return new SeedsChecked(Verdict.Refused,
                $"{r.Seed} serves ledger {refused.LedgerId}, this node's database holds ledger {question.LedgerId}");
        if (answers.FirstOrDefault(a => a.Answer is JoinCheckResult) is { } welcoming)
            return new SeedsChecked(Verdict.Same, $"{welcoming.Seed} serves the same ledger {question.LedgerId}");
        if (answers.FirstOrDefault(a => a.Answer is NoGate) is { } old)
            return new SeedsChecked(Verdict.Unchecked, $"{old.Seed} has no ledger gate (an older release)");
        return new SeedsChecked(Verdict.Silent, $"no answer from {string.Join(", ", seeds)} within {AnswerTimeout.TotalSeconds:0.#} s");
    }

    private sealed record NoGate;

    // A class, not a tuple: FirstOrDefault of a value tuple is a default tuple, which a property pattern matches.
    private sealed record SeedAnswer(Address Seed, object? Answer);

    /// <summary>
    /// The gate's answer; <see cref="NoGate"/> for a node that runs but has no gate (an older release); null for no
    /// answer. Identify first, to tell those apart: an empty <see cref="ActorIdentity"/> also comes back, at once, when
    /// the message could not be delivered at all (an unreachable or gated address sends it to dead letters, which
    /// answer Identify), so only a node whose cluster daemon identifies itself is taken to be running without a gate.
    /// </summary>
    private static async Task<object?> AskGateAsync(ActorSystem system, Address node, object question)
    {
        try
        {
            var identity = await system.ActorSelection(new RootActorPath(node) / "user" / Name).Ask<ActorIdentity>(new Identify(null), AnswerTimeout);
            if (identity.Subject is not null) return await identity.Subject.Ask<object>(question, AnswerTimeout);
            var daemon = await system.ActorSelection(new RootActorPath(node) / "system" / "cluster" / "core" / "daemon")
                .Ask<ActorIdentity>(new Identify(null), AnswerTimeout);
            return daemon.Subject is not null ? new NoGate() : null;
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }

    private void AskLedgerOf(Member member)
    {
        if (member.UniqueAddress.Equals(_cluster.SelfUniqueAddress) || !_asked.Add(member.UniqueAddress)) return;
        var who = member.UniqueAddress;
        AskGateAsync(Context.System, who.Address, new WhichLedger())
            .PipeTo(Self, success: a => new MemberLedger(who, (a as LedgerIs)?.LedgerId));
    }

    /// <summary>Of two members serving different ledgers, the junior one goes: downed by the senior, or leaving by itself.</summary>
    private void Evaluate()
    {
        if (_shuttingDown) return;
        var state = _cluster.State;
        var self = _cluster.SelfMember;
        foreach (var (address, ledger) in _otherLedgers.Where(kv => kv.Value != _ledgerId).ToList())
        {
            var other = state.Members.FirstOrDefault(m => m.UniqueAddress.Equals(address));
            if (other is null || other.Status is MemberStatus.Down or MemberStatus.Removed) continue;
            if (IsSenior(self, other))
            {
                _log.Warning("Refused member {0} (app-version {1}): it serves ledger {2}, this cluster serves ledger {3}; downing it",
                    other.Address, other.AppVersion, ledger, _ledgerId);
                _cluster.Down(other.Address);
            }
            else if (IsSenior(other, self))
            {
                RefuseSelf($"member {other.Address} serves ledger {ledger}, this node's database holds ledger {_ledgerId}",
                    "This node had joined without the check; it leaves before it is given shards");
                return;
            }
            // neither is Up yet: decided when one of them is
        }
    }

    private static bool IsSenior(Member a, Member b) =>
        a.Status == MemberStatus.Up && (b.Status != MemberStatus.Up || a.IsOlderThan(b));

    private void RefuseSelf(string detail, string state)
    {
        if (_shuttingDown) return;
        _shuttingDown = true;
        _log.Error("Refused by the cluster: {0}. A cluster serves exactly one ledger database ({1} here): check --data-dir or --postgres. " +
                   "{2}; shutting down with exit code {3}", detail, _where, state, ExitCodes.LedgerMismatch);
        CoordinatedShutdown.Get(Context.System).Run(new DrainReasons.LedgerMismatch(detail));
    }

    public static Props Props(string ledgerId, string where, string appVersion) =>
        Akka.Actor.Props.Create(() => new LedgerGate(ledgerId, where, appVersion));
}
