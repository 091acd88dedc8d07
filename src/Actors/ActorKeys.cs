namespace ActorService.Actors;

// Keys for Akka.Hosting's ActorRegistry: inject IRequiredActor<AccountRegion> and friends instead of looking actors up by path.

/// <summary>The shard region of account entities.</summary>
public sealed class AccountRegion;

/// <summary>The ledger database actor.</summary>
public sealed class LedgerDb;

/// <summary>The snapshot cache actor.</summary>
public sealed class SnapshotCache;

/// <summary>The ledger event publisher (the outbox's shipper).</summary>
public sealed class EventPublisher;
