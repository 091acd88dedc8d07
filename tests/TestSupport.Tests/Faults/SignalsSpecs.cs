using Xunit;

namespace ActorService.TestSupport.Tests.Faults;

/// <summary>SIGSTOP/SIGCONT on a real process: frozen, it does nothing at all; thawed, it goes on where it stood.</summary>
public sealed class SignalsSpecs
{
    [Fact]
    public async Task Should_stop_a_process_until_it_is_thawed_when_it_is_frozen()
    {
        var dir = Repo.NewWorkDir("freeze");
        // Prints a counter every 50 ms: a frozen process prints nothing.
        await using var ticker = ChildProcess.Run(new ChildStart("ticker", "sh", ["-c", "i=0; while :; do i=$((i+1)); echo $i; sleep 0.05; done"],
            Path.Combine(dir, "ticker.log")));
        await Eventually.True(() => ticker.Lines.Count >= 3, TimeSpan.FromSeconds(10), "the ticker to tick");

        int frozenAt;
        using (Signals.Freeze(ticker.Pid))
        {
            Assert.True(Signals.IsStopped(ticker.Pid), $"pid {ticker.Pid} is not in state T after SIGSTOP");
            frozenAt = ticker.Lines.Count; // a line written just before the stop may still be on its way through the pipe
            var stillFrozen = await ticker.TryWaitForExitAsync(TimeSpan.FromMilliseconds(600)); // 12 ticks' worth of time passes
            Assert.False(stillFrozen);
            Assert.InRange(ticker.Lines.Count, frozenAt, frozenAt + 1);
        }

        Assert.False(Signals.IsStopped(ticker.Pid), "still stopped after the thaw");
        await Eventually.True(() => ticker.Lines.Count >= frozenAt + 5, TimeSpan.FromSeconds(10), "the ticker to tick again after SIGCONT");
    }
}
