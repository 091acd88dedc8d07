using System.Text.Json;
using ActorService.Actors.Accounts;
using ActorService.Actors.Resources.Events;
using Xunit;

namespace ActorService.Actors.Tests;

/// <summary>
/// The JSON-lines sink with several writers on one file, as several node processes on one data folder (the local
/// cluster's default) each open their own: every event any of them confirmed is in the file, once (issue 13).
/// </summary>
public sealed class JsonLinesEventSinkSpecs
{
    private static OutboxEvent Event(long id) =>
        new(id, $"acc-{id % 7}", LedgerOperation.Deposit, 1, id, id, $"key-{id}", DateTimeOffset.UtcNow);

    private static List<long> Ids(string path) =>
        File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetInt64()).ToList();

    [Fact]
    public async Task Should_keep_every_confirmed_event_when_several_writers_append_to_one_file_in_turn()
    {
        var path = Path.Combine(LedgerTestBed.NewDir("sink"), "events.jsonl");
        // Each writer opens before any writes, as three nodes started together do; then they take turns.
        var sinks = Enumerable.Range(0, 3).Select(_ => new JsonLinesEventSink(path)).ToList();
        long next = 1;
        for (var round = 0; round < 20; round++)
            foreach (var sink in sinks)
                await sink.PublishAsync([.. Enumerable.Range(0, 5).Select(_ => Event(next++))], CancellationToken.None);
        foreach (var sink in sinks) await sink.DisposeAsync();

        var ids = Ids(path);
        Assert.True(ids.Distinct().Count() == next - 1,
            $"{next - 1} events confirmed by 3 writers, {ids.Distinct().Count()} distinct ids in the file ({ids.Count} lines)");
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public async Task Should_keep_every_confirmed_event_when_several_writers_append_to_one_file_at_once()
    {
        var path = Path.Combine(LedgerTestBed.NewDir("sink"), "events.jsonl");
        const int writers = 4, batches = 50, perBatch = 8;
        var sinks = Enumerable.Range(0, writers).Select(_ => new JsonLinesEventSink(path)).ToList();
        await Task.WhenAll(sinks.Select((sink, w) => Task.Run(async () =>
        {
            for (var b = 0; b < batches; b++)
            {
                var first = ((long)w * batches + b) * perBatch + 1;
                await sink.PublishAsync([.. Enumerable.Range(0, perBatch).Select(i => Event(first + i))], CancellationToken.None);
            }
        })));
        foreach (var sink in sinks) await sink.DisposeAsync();

        var ids = Ids(path); // every line parses: batches never interleave inside a line
        Assert.True(ids.Distinct().Count() == writers * batches * perBatch,
            $"{writers * batches * perBatch} events confirmed by {writers} concurrent writers, {ids.Distinct().Count()} distinct ids in the file");
    }
}
