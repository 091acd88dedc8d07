using Akka.Actor;
using static ActorService.Actors.Accounts.AccountCommands;
using static ActorService.Actors.Accounts.AccountReplies;

namespace ActorService.Actors.Accounts;

/// <summary>
/// The answers for commands an entity still held when it stopped or failed, so every caller learns at once which kind
/// of answer it got instead of waiting for an Ask timeout: a command it never processed is "unavailable" (certainly
/// not applied: the gateway asks again, and the entity's next activation serves it), a write whose commit it had sent
/// is "outcome unknown", and a write it failed on before sending a commit is "failed" (nothing applied).
/// </summary>
internal static class AbandonedCommands
{
    /// <summary>
    /// Answers everything a stopping entity held: the commands in its stash (the stop message and internal ones need
    /// none), the write in progress (<paramref name="writer"/>, if any) and the reads waiting for a load. Returns how many.
    /// </summary>
    public static int AnswerOnStop(string accountId, IEnumerable<Envelope> stashed, IActorRef? writer, bool commitSent, List<IActorRef>? readers)
    {
        var answered = 0;
        var unavailable = new Unavailable(accountId, "the account was stopped before it could process this command");
        foreach (var envelope in stashed)
        {
            if (envelope.Message is not (ApplyWrite or GetBalance)) continue;
            envelope.Sender.Tell(unavailable);
            answered++;
        }
        foreach (var reader in readers ?? [])
        {
            reader.Tell(unavailable);
            answered++;
        }
        if (writer is null) return answered;
        writer.Tell(ForWriteInProgress(accountId, commitSent, failed: false));
        return answered + 1;
    }

    /// <summary>The answer for the write in progress when the entity stopped (<paramref name="failed"/>: or failed).</summary>
    public static IAccountReply ForWriteInProgress(string accountId, bool commitSent, bool failed) => (commitSent, failed) switch
    {
        (true, _) => new OutcomeUnknown(accountId, failed
            ? "the account actor failed while its commit was in flight"
            : "the account was stopped while its commit was in flight"),
        (false, true) => new Failed(accountId, "the account actor failed before committing and was restarted"),
        (false, false) => new Unavailable(accountId, "the account was stopped before it could process this command"),
    };
}
