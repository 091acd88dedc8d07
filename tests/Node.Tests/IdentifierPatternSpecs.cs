using ActorService.Node.Http;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>
/// The account id and Idempotency-Key patterns match the whole value: .NET's '$' also matches before a final newline,
/// so "alice\n" used to pass as an account id. (Over HTTP the id case is in <see cref="LedgerContractSpecs"/>; a header
/// value cannot carry a newline through Kestrel, so the key's pattern is checked here directly.)
/// </summary>
public sealed class IdentifierPatternSpecs
{
    [Theory]
    [InlineData("alice\n")]
    [InlineData("alice\r\n")]
    [InlineData("\nalice")]
    [InlineData("")]
    public void Should_refuse_an_account_id_when_it_has_a_newline_or_is_empty(string id) =>
        Assert.NotNull(LedgerRequests.ValidateAccountId(id));

    [Theory]
    [InlineData("alice")]
    [InlineData("A-z_09")]
    public void Should_accept_an_account_id_when_it_is_letters_digits_underscore_and_dash(string id) =>
        Assert.Null(LedgerRequests.ValidateAccountId(id));

    [Fact]
    public void Should_refuse_an_idempotency_key_when_it_ends_in_a_newline()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers[LedgerRequests.IdempotencyKeyHeader] = "key-1\n";
        var (key, problem) = LedgerRequests.ReadIdempotencyKey(context.Request);
        Assert.Null(key);
        Assert.NotNull(problem);

        context.Request.Headers[LedgerRequests.IdempotencyKeyHeader] = "key-1";
        Assert.Equal(("key-1", null), LedgerRequests.ReadIdempotencyKey(context.Request));
    }
}
