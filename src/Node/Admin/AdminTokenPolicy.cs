using ActorService.Node.Config;

namespace ActorService.Node.Admin;

/// <summary>
/// What an admin token must be for the node to start: at least <see cref="MinLength"/> characters, and not one of the
/// placeholders the repository shows (a copied example is a token everybody knows). No token at all stays allowed:
/// admin is then disabled, never open. Checked at start, so a weak token is exit code 2, not a guessable door.
/// </summary>
internal static class AdminTokenPolicy
{
    /// <summary>32 characters: e.g. <c>openssl rand -hex 16</c> (or <c>-hex 32</c> for 64).</summary>
    public const int MinLength = 32;

    /// <summary>Tokens shown in the repository's examples (docs/configuration.md, deploy/k8s/overlays/production).</summary>
    public static readonly IReadOnlyList<string> Placeholders =
    [
        "CHANGE-ME-long-random-admin-token",
        "replace-with-at-least-32-random-characters",
    ];

    /// <exception cref="ConfigurationException">a token that is too short or a placeholder; the message never shows it.</exception>
    public static void Check(string token)
    {
        if (token.Length == 0) return;
        if (Placeholders.Contains(token.Trim(), StringComparer.OrdinalIgnoreCase))
            throw new ConfigurationException("the admin token (--admin-token, --admin-token-file, ACTORSERVICE_ADMIN_TOKEN[_FILE]) is the placeholder from the documentation: set a random one, e.g. $(openssl rand -hex 32)");
        if (token.Length < MinLength)
            throw new ConfigurationException($"the admin token (--admin-token, --admin-token-file, ACTORSERVICE_ADMIN_TOKEN[_FILE]) has {token.Length} characters; at least {MinLength} are needed, e.g. $(openssl rand -hex 32)");
    }
}
