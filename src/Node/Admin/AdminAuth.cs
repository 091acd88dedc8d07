using System.Security.Cryptography;
using System.Text;
using ActorService.Node.Config;
using ActorService.Node.Http;

namespace ActorService.Node.Admin;

/// <summary>
/// Bearer-token guard of /admin/*. No token configured means admin is disabled (403), never open. The comparison is
/// constant-time over SHA-256 digests, so neither the content nor the length of the token leaks through timing.
/// </summary>
internal sealed class AdminAuth(NodeSettings settings) : IEndpointFilter
{
    private readonly byte[]? _expected = settings.AdminToken.Length == 0 ? null : SHA256.HashData(Encoding.UTF8.GetBytes(settings.AdminToken));

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (_expected is null)
            return Problems.Create(403, "admin-disabled", "Admin endpoints disabled", "No admin token is configured on this node, so /admin/* is disabled.");
        var header = http.Request.Headers.Authorization.ToString();
        // The scheme is case-insensitive (RFC 9110 §11.1); the token itself is compared exactly.
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return Problems.Create(401, "unauthorized", "Unauthorized", "Send Authorization: Bearer <admin token>.");
        }
        var given = SHA256.HashData(Encoding.UTF8.GetBytes(header[7..]));
        if (!CryptographicOperations.FixedTimeEquals(given, _expected))
            return Problems.Create(403, "forbidden", "Forbidden", "The admin token is not valid.");
        return await next(context);
    }
}
