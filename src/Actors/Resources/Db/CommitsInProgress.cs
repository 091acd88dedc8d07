using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Akka.Actor;
using static ActorService.Actors.Resources.Db.LedgerDbCommands;

namespace ActorService.Actors.Resources.Db;

/// <summary>
/// The commits of each account that the db actor has queued or is committing, and the loads of those accounts waiting
/// for them. A load runs only once none of its account's commits is pending, so an entity that reloads after a commit
/// timed out, failed or was abandoned by a restart sees that commit's effect, or knows it will never happen — never
/// the state from before it, which it would then take for the truth. One dictionary entry per account with a commit
/// pending; nothing for idle accounts.
/// </summary>
internal sealed class CommitsInProgress
{
    private readonly Dictionary<string, int> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(LoadAccount Load, IActorRef ReplyTo)>> _waiting = new(StringComparer.Ordinal);

    public void Started(string accountId) => CollectionsMarshal.GetValueRefOrAddDefault(_pending, accountId, out _)++;

    /// <summary>A commit of <paramref name="accountId"/> was answered; returns the loads that may run now (usually none).</summary>
    public List<(LoadAccount Load, IActorRef ReplyTo)>? Finished(string accountId)
    {
        ref var count = ref CollectionsMarshal.GetValueRefOrNullRef(_pending, accountId);
        if (Unsafe.IsNullRef(ref count) || --count > 0) return null;
        _pending.Remove(accountId);
        return _waiting.Remove(accountId, out var released) ? released : null;
    }

    /// <summary>Holds the load back if a commit of its account is pending; false when it may run at once.</summary>
    public bool TryHold(LoadAccount load, IActorRef replyTo)
    {
        if (!_pending.ContainsKey(load.AccountId)) return false;
        ref var loads = ref CollectionsMarshal.GetValueRefOrAddDefault(_waiting, load.AccountId, out _);
        (loads ??= []).Add((load, replyTo));
        return true;
    }

    /// <summary>Every load still held back, when the db actor stops; forgets all pending commits.</summary>
    public IEnumerable<(LoadAccount Load, IActorRef ReplyTo)> Abandon()
    {
        var held = _waiting.Values.SelectMany(l => l).ToList();
        _waiting.Clear();
        _pending.Clear();
        return held;
    }
}
