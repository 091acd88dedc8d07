namespace ActorService.TestSupport;

/// <summary>
/// How the load's client behaves: its patience, its connection pool and whether it retries. <see cref="Ordinary"/> is
/// the judge of "no client notices" (issue 17): an HTTP client as applications configure one, 2 s per request, a pool
/// of 64 keep-alive connections, at most 512 requests in flight. A request that cannot start because 512 are in flight,
/// or that finds no free connection before its 2 s are up, fails with cause <c>pool-full</c> without being sent, as it
/// would in an application. <see cref="Patient"/> is the client the cluster specs were first written with (13 s per
/// attempt, 512 connections): it proves "eventually served", not "no client notices".
/// </summary>
public sealed record ClientModel(string Name)
{
    /// <summary>Per attempt, from the moment it is due: waiting for a connection counts, as in any client.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>Keep-alive connections to the target (<c>MaxConnectionsPerServer</c>).</summary>
    public int Connections { get; init; } = 64;
    /// <summary>Attempts started and not finished (waiting for a connection or on one); one more fails as <c>pool-full</c>.</summary>
    public int MaxInFlight { get; init; } = 512;
    /// <summary>Send the request again after the <c>Retry-After</c> of an answer that carries one (same key).</summary>
    public bool HonourRetryAfter { get; init; }
    /// <summary>Only a 503's <c>Retry-After</c> counts (the patient client's rule); otherwise any status that carries one.</summary>
    public bool RetryOnly503 { get; init; }
    public int MaxRetries { get; init; } = 10;
    /// <summary>A retry is not sent when it would start later than this after the request's first attempt.</summary>
    public TimeSpan RetryBudget { get; init; } = TimeSpan.FromSeconds(12);
    /// <summary>The retry budget is the request's overall timeout: no attempt runs past it (the patient client gave each attempt its full time).</summary>
    public bool BudgetEndsAttempts { get; init; } = true;

    /// <summary>The ordinary client: open loop, 2 s, 64 connections, 512 in flight, no retries.</summary>
    public static ClientModel Ordinary { get; } = new("ordinary");

    /// <summary>The ordinary client for kill -9 and freeze: it honours Retry-After (503 or 504) up to 10 times within 12 s, same Idempotency-Key.</summary>
    public static ClientModel OrdinaryWithRetries { get; } = new("ordinary, honours Retry-After") { HonourRetryAfter = true };

    /// <summary>
    /// The cluster specs' first client, kept for their assertions until issue 17's fixes land: 13 s per attempt, 512
    /// connections, no in-flight limit; with <paramref name="honourRetryAfter"/>, a 503 + Retry-After is retried
    /// for up to 30 s.
    /// </summary>
    public static ClientModel Patient(bool honourRetryAfter) => new(honourRetryAfter ? "patient, retries 503" : "patient")
    {
        RequestTimeout = TimeSpan.FromSeconds(13),
        Connections = 512,
        MaxInFlight = int.MaxValue,
        HonourRetryAfter = honourRetryAfter,
        RetryOnly503 = true,
        MaxRetries = int.MaxValue,
        RetryBudget = TimeSpan.FromSeconds(30),
        BudgetEndsAttempts = false,
    };

    /// <summary>
    /// The environment variable that makes the specs written for the patient client use the ordinary one instead
    /// (<c>ACTORSERVICE_TEST_CLIENT=ordinary</c>): how their figures under the ordinary client are measured before
    /// issue 17's fixes let them switch for good.
    /// </summary>
    public const string OverrideVariable = "ACTORSERVICE_TEST_CLIENT";

    /// <summary>The patient client, or the ordinary one (with retries when <paramref name="honourRetryAfter"/>) when <see cref="OverrideVariable"/> says so.</summary>
    public static ClientModel PatientUnlessOverridden(bool honourRetryAfter) =>
        Environment.GetEnvironmentVariable(OverrideVariable) == "ordinary"
            ? honourRetryAfter ? OrdinaryWithRetries : Ordinary
            : Patient(honourRetryAfter);

    public override string ToString() =>
        $"{Name} ({RequestTimeout.TotalSeconds:0.#} s per attempt, {Connections} connections" +
        (MaxInFlight == int.MaxValue ? "" : $", at most {MaxInFlight} in flight") +
        (HonourRetryAfter ? RetryOnly503 ? $", retries 503 + Retry-After within {RetryBudget.TotalSeconds:0} s" : $", honours Retry-After up to {MaxRetries} times within {RetryBudget.TotalSeconds:0} s" : ", no retries") + ")";
}
