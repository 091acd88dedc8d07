using System.Buffers;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.RegularExpressions;
using ActorService.Actors.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ActorService.Node.Http;

/// <summary>
/// Validation of everything a client sends to the ledger: the account id, the Idempotency-Key header and the JSON
/// body. The body is read by hand (bounded, strict) so that every malformation gets its own clear 4xx: exactly one
/// member <c>amount</c>, an integer in 1..1,000,000,000, no duplicates, no extras, no trailing data.
/// </summary>
internal static partial class LedgerRequests
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const string TestDelayHeader = "X-Test-Delay-Ms";

    private const string AccountIdChars = "[A-Za-z0-9_-]{1,64}";
    private const string IdempotencyKeyChars = "[A-Za-z0-9_-]{1,128}";

    /// <summary>The account id's pattern as the OpenAPI document states it (ECMA-262, where '$' is the very end).</summary>
    public const string AccountIdOpenApiPattern = "^" + AccountIdChars + "$";

    /// <summary>The Idempotency-Key's pattern as the OpenAPI document states it.</summary>
    public const string IdempotencyKeyOpenApiPattern = "^" + IdempotencyKeyChars + "$";

    // \z, not $: in .NET '$' also matches before a final "\n", so "alice\n" (alice%0A in a URL) would pass.
    [GeneratedRegex("^" + AccountIdChars + @"\z")]
    private static partial Regex AccountIdPattern();

    [GeneratedRegex("^" + IdempotencyKeyChars + @"\z")]
    private static partial Regex IdempotencyKeyPattern();

    /// <summary>
    /// The body <see cref="ParseAmount"/> accepts, for the OpenAPI document only: the parser reads the body by hand
    /// (strict: no other member, no duplicate, no trailing data), never through this type.
    /// </summary>
    public sealed record AmountBody([property: Range(1, AccountActor.MaxAmount)] long Amount);

    public static ProblemHttpResult? ValidateAccountId(string id) =>
        AccountIdPattern().IsMatch(id)
            ? null
            : Problems.Create(400, "invalid-account-id", "Invalid account id",
                "An account id is 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'.");

    /// <summary>The client's key, or null when absent; a problem when present but malformed.</summary>
    public static (string? Key, ProblemHttpResult? Problem) ReadIdempotencyKey(HttpRequest request)
    {
        if (!request.Headers.TryGetValue(IdempotencyKeyHeader, out var values)) return (null, null);
        if (values.Count != 1 || values[0] is not { } key || !IdempotencyKeyPattern().IsMatch(key))
            return (null, Problems.Create(400, "invalid-idempotency-key", "Invalid Idempotency-Key",
                "Idempotency-Key must appear once and be 1 to 128 characters of A-Z, a-z, 0-9, '_' and '-'."));
        return (key, null);
    }

    public static async Task<(long Amount, ProblemHttpResult? Problem)> ReadAmountAsync(HttpRequest request, int maxBytes, CancellationToken ct)
    {
        if (!request.HasJsonContentType())
            return (0, Problems.Create(415, "unsupported-media-type", "Unsupported media type",
                "The body must be JSON, sent with Content-Type: application/json."));
        if (request.ContentLength > maxBytes) return (0, TooLarge(maxBytes));

        var buffer = ArrayPool<byte>.Shared.Rent(maxBytes + 1);
        try
        {
            var length = 0;
            int read;
            while ((read = await request.Body.ReadAsync(buffer.AsMemory(length, maxBytes + 1 - length), ct)) > 0)
            {
                length += read;
                if (length > maxBytes) return (0, TooLarge(maxBytes));
            }
            return ParseAmount(buffer.AsSpan(0, length));
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's own body limits: a chunked body past max-body-bytes (413), a body sent slower than
            // limits.min-request-body-bytes-per-second (408), or a body cut short by the client (400). None is our error.
            return (0, e.StatusCode == StatusCodes.Status413PayloadTooLarge ? TooLarge(maxBytes) : Unreadable(e.StatusCode));
        }
        catch (IOException)
        {
            // The connection broke mid-body (client reset). Nobody is left to read the answer, but it must not be a 500.
            return (0, Unreadable(StatusCodes.Status400BadRequest));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    internal static (long Amount, ProblemHttpResult? Problem) ParseAmount(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 2 });
        long? amount = null;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return (0, BadBody("The body must be a JSON object such as {\"amount\": 100}."));
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!reader.ValueTextEquals("amount"u8))
                    return (0, BadBody($"Unknown field{FieldName(ref reader)}: the body has exactly one field, \"amount\"."));
                if (amount is not null)
                    return (0, BadBody("The field \"amount\" appears more than once."));
                reader.Read();
                if (reader.TokenType != JsonTokenType.Number)
                    return (0, InvalidAmount("\"amount\" must be a JSON number."));
                if (!reader.TryGetInt64(out var value))
                    return (0, InvalidAmount(reader.ValueSpan.IndexOfAny("."u8) >= 0 || reader.ValueSpan.IndexOfAny("eE"u8) >= 0
                        ? "\"amount\" must be a whole number, written without a fraction or exponent."
                        : "\"amount\" is beyond the 64-bit range."));
                amount = value;
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
                return (0, BadBody("The body must be exactly one JSON object."));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: text that is not valid UTF-8 (the reader validates lazily, when it is read).
            return (0, BadBody("The body is not well-formed JSON (or nests deeper than allowed)."));
        }

        return amount switch
        {
            null => (0, BadBody("The field \"amount\" is missing.")),
            < 1 or > AccountActor.MaxAmount => (0, InvalidAmount("\"amount\" must be between 1 and 1,000,000,000.")),
            { } a => (a, null),
        };
    }

    /// <summary>" 'name'" for a short, readable field name; nothing for a long or undecodable one (never echo junk).</summary>
    private static string FieldName(ref Utf8JsonReader reader)
    {
        try
        {
            var name = reader.GetString();
            return name is { Length: <= 64 } && name.All(c => c is >= ' ' and < '\u007f') ? $" '{name}'" : "";
        }
        catch (InvalidOperationException)
        {
            return "";
        }
    }

    /// <summary>X-Test-Delay-Ms, honoured only when the node runs with test hooks (a drain test's slow request).</summary>
    public static TimeSpan? ReadTestDelay(HttpRequest request, bool allowed) =>
        allowed && int.TryParse(request.Headers[TestDelayHeader], out var ms) && ms is > 0 and <= 120_000
            ? TimeSpan.FromMilliseconds(ms)
            : null;

    private static ProblemHttpResult TooLarge(int maxBytes) =>
        Problems.Create(413, "body-too-large", "Body too large", $"The body may be at most {maxBytes} bytes.");

    private static ProblemHttpResult Unreadable(int status) => status == StatusCodes.Status408RequestTimeout
        ? Problems.Create(408, "body-too-slow", "Body too slow", "The body arrived slower than this node's minimum data rate.")
        : Problems.Create(400, "invalid-body", "Invalid body", "The body could not be read completely (it ended before its declared length).");

    private static ProblemHttpResult BadBody(string detail) => Problems.Create(400, "invalid-body", "Invalid body", detail);

    private static ProblemHttpResult InvalidAmount(string detail) => Problems.Create(400, "invalid-amount", "Invalid amount", detail);
}
