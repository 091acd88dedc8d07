using System.Diagnostics;
using System.Globalization;
using ActorService.Actors.Accounts;

namespace ActorService.Node.Http;

/// <summary>
/// Which shards were recently found not answering while a member was unreachable (issue 17 item 4). A shard whose home
/// died answers nothing until the member is downed and the shard moved (seconds); one request finding that out per
/// second is enough. The others for that shard are answered at once, without sending anything (503 + Retry-After,
/// certainly not applied), so a client's connections are never all held by requests hung on a dead or frozen node.
/// Every <see cref="ProbeEvery"/> one request goes through as a probe: when it is answered the shard is clear again.
/// </summary>
internal sealed class ShardStalls(int shardCount)
{
    /// <summary>How often a request may go through to a stalled shard to find out whether it serves again.</summary>
    public static readonly TimeSpan ProbeEvery = TimeSpan.FromSeconds(1);
    private static readonly long ProbeTicks = (long)(ProbeEvery.TotalSeconds * Stopwatch.Frequency);

    private readonly AccountMessageExtractor _extractor = new(shardCount);
    private readonly long[] _stalledAt = new long[shardCount]; // Stopwatch timestamp of the last stall or probe; 0 = clear
    private volatile bool _everStalled;

    /// <summary>
    /// False until a shard first stalls: until then a request needs neither its shard number nor any bookkeeping here,
    /// so the steady state's hot path pays nothing for fail-fast.
    /// </summary>
    public bool EverStalled => _everStalled;

    /// <summary>The account's shard, as the shard region computes it.</summary>
    public int ShardOf(string accountId) => int.Parse(_extractor.ShardId(accountId, null)!, CultureInfo.InvariantCulture);

    /// <summary>True: answer now, the shard stalled recently and another request is probing it; false: send (maybe as the probe).</summary>
    public bool Refuse(int shard)
    {
        var at = Volatile.Read(ref _stalledAt[shard]);
        if (at == 0) return false;
        if (Stopwatch.GetTimestamp() - at < ProbeTicks) return true;
        // The last stall or probe is old: this request becomes the probe, one at a time.
        return Interlocked.CompareExchange(ref _stalledAt[shard], Stopwatch.GetTimestamp(), at) != at;
    }

    /// <summary>A request for the shard got no answer by the fail-fast deadline.</summary>
    public void Stalled(int shard)
    {
        Volatile.Write(ref _stalledAt[shard], Stopwatch.GetTimestamp());
        _everStalled = true;
    }

    /// <summary>The shard answered: clear.</summary>
    public void Answered(int shard)
    {
        if (Volatile.Read(ref _stalledAt[shard]) != 0) Volatile.Write(ref _stalledAt[shard], 0);
    }
}
