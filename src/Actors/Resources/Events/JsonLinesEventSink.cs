using System.Text;
using System.Text.Json;

namespace ActorService.Actors.Resources.Events;

/// <summary>
/// The embedded default sink: one JSON object per line appended to a file in the data folder, flushed to disk
/// (fsync) before the batch counts as confirmed. Consumers de-duplicate on <c>id</c>: after a crash between the
/// fsync and the outbox update, the same events are appended again.
/// </summary>
public sealed class JsonLinesEventSink : IEventSink
{
    private readonly AppendOnlyFile _file;

    public JsonLinesEventSink(string path)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        Path = path;
        // O_APPEND: several node processes on one data folder each append whole batches, none overwrites another's.
        _file = new AppendOnlyFile(path);
    }

    public string Backend => "file";
    public string Path { get; }
    public string Where => Path;

    public Task PublishAsync(IReadOnlyList<OutboxEvent> events, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var text = new StringBuilder();
        foreach (var e in events) text.Append(Serialize(e)).Append('\n');
        // One write per batch, so lines of two processes never interleave inside a line.
        _file.AppendAndSync(Encoding.UTF8.GetBytes(text.ToString()));
        return Task.CompletedTask;
    }

    /// <summary>The event as one line of JSON; the Redis stream entry carries the same fields.</summary>
    public static string Serialize(OutboxEvent e) => JsonSerializer.Serialize(new
    {
        id = e.Id,
        account = e.AccountId,
        op = e.Operation.ToString().ToLowerInvariant(),
        amount = e.Amount,
        balance = e.BalanceAfter,
        version = e.Version,
        key = e.IdempotencyKey,
        at = e.At.ToUnixTimeMilliseconds(),
    });

    public ValueTask DisposeAsync()
    {
        _file.Dispose();
        return ValueTask.CompletedTask;
    }
}
