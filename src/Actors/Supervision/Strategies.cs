using ActorService.Actors.Settings;
using Akka.Actor;
using Akka.Pattern;
using Polly;
using Polly.Retry;

namespace ActorService.Actors.Supervision;

/// <summary>
/// Every failure policy of the actor library, by name, in one file.
/// <list type="bullet">
/// <item>Account entities run under the shard's default strategy (restart). <c>AccountActor</c> answers the failing
/// request with <c>Failed</c> before it restarts and reloads its state from the database in <c>PreStart</c>, so one
/// poison message costs one 500 and nothing else.</item>
/// <item>Resource actors run under <see cref="RestartResourceWithBackoff"/>: a crash restarts them after a growing
/// delay, and no failure ever escalates to the guardian (which would stop the node).</item>
/// <item>Transient database errors are retried inside the db actor by <see cref="TransientDbRetry"/>.</item>
/// </list>
/// </summary>
public static class Strategies
{
    /// <summary>Decider for resource actors: restart on any exception, never escalate.</summary>
    public static readonly IDecider RestartOnAnyFailure = Decider.From(_ => Directive.Restart);

    /// <summary>Wraps a resource actor's props in a backoff supervisor (100 ms doubling to 10 s, with jitter).</summary>
    public static Props RestartResourceWithBackoff(Props child, string childName) =>
        BackoffSupervisor.Props(
            Backoff.OnFailure(child, childName, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10), 0.2, maxNrOfRetries: -1)
                .WithSupervisorStrategy(new OneForOneStrategy(RestartOnAnyFailure)));

    /// <summary>
    /// Bounded retry with exponential backoff and jitter for errors the store calls transient (busy or locked
    /// database, dropped connection). Anything else fails at once: retrying a constraint violation helps no one.
    /// </summary>
    public static ResiliencePipeline TransientDbRetry(Func<Exception, bool> isTransient, DbSettings settings) =>
        settings.RetryAttempts <= 0
            ? ResiliencePipeline.Empty
            : new ResiliencePipelineBuilder()
                .AddRetry(new RetryStrategyOptions
                {
                    ShouldHandle = new PredicateBuilder().Handle<Exception>(isTransient),
                    MaxRetryAttempts = settings.RetryAttempts,
                    Delay = settings.RetryBaseDelay,
                    MaxDelay = settings.RetryMaxDelay,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                })
                .Build();
}
