using System.Collections.Concurrent;
using ActorService.Actors.Accounts;

namespace ActorService.Bench.Baseline;

/// <summary>
/// Accounts and every idempotency key in process memory, one lock per account: the least work that still honours
/// the contract (balances never race, a key is applied once, a reused key with another amount is refused).
/// </summary>
internal sealed class MemoryLedger
{
    private sealed class Account
    {
        public long Balance;
        public bool Written;
        public readonly Dictionary<string, (LedgerOperation Operation, long Amount, long BalanceAfter)> Keys = new(StringComparer.Ordinal);
    }

    public abstract record Outcome
    {
        public sealed record Applied(long Balance) : Outcome;
        public sealed record Repeat(long Balance) : Outcome;
        public sealed record KeyReused(LedgerOperation Operation, long Amount) : Outcome;
        public sealed record Insufficient(long Balance) : Outcome;
        public sealed record Overflow : Outcome;
    }

    private readonly ConcurrentDictionary<string, Account> _accounts = new(StringComparer.Ordinal);

    public bool TryGetBalance(string id, out long balance)
    {
        balance = 0;
        if (!_accounts.TryGetValue(id, out var account)) return false;
        lock (account)
        {
            balance = account.Balance;
            return account.Written;
        }
    }

    public Outcome Apply(string id, LedgerOperation operation, long amount, string key)
    {
        var account = _accounts.GetOrAdd(id, static _ => new Account());
        lock (account)
        {
            if (account.Keys.TryGetValue(key, out var prior))
                return prior.Operation == operation && prior.Amount == amount
                    ? new Outcome.Repeat(prior.BalanceAfter)
                    : new Outcome.KeyReused(prior.Operation, prior.Amount);
            long next;
            if (operation == LedgerOperation.Withdraw)
            {
                if (account.Balance < amount) return new Outcome.Insufficient(account.Balance);
                next = account.Balance - amount;
            }
            else
            {
                if (account.Balance > long.MaxValue - amount) return new Outcome.Overflow();
                next = account.Balance + amount;
            }
            account.Balance = next;
            account.Written = true;
            account.Keys[key] = (operation, amount, next);
            return new Outcome.Applied(next);
        }
    }
}
