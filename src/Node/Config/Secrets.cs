using Akka.Configuration;

namespace ActorService.Node.Config;

/// <summary>
/// Which settings are secrets, and their redaction. The secret HOCON paths are those of every override marked
/// <see cref="Override.Secret"/> (admin token, connection strings), plus the remoting TLS certificate's password.
/// The node reads secrets from the full configuration before the ActorSystem starts; the ActorSystem itself gets a
/// copy with every secret replaced by <see cref="Mask"/>, so Akka's own config dump
/// (<c>akka.log-config-on-start</c>) or any actor reading <c>Settings.Config</c> can never print one.
/// </summary>
internal static class Secrets
{
    public const string Mask = "<redacted>";

    /// <summary>The remoting TLS certificate password (set with --hocon or ACTORSERVICE_HOCON; see docs/security.md).</summary>
    public const string RemotingCertificatePassword = "akka.remote.dot-netty.tcp.ssl.certificate.password";

    public static IReadOnlyList<string> HoconPaths { get; } =
        Overrides.All.Where(o => o.Secret).SelectMany(o => o.HoconPaths).Append(RemotingCertificatePassword).Distinct().ToList();

    /// <summary>The configuration with every non-empty secret replaced by <see cref="Mask"/>.</summary>
    public static Akka.Configuration.Config Redact(Akka.Configuration.Config config)
    {
        var present = HoconPaths.Where(p => config.HasPath(p) && config.GetString(p, "").Length > 0).ToList();
        if (present.Count == 0) return config;
        var masks = string.Join('\n', present.Select(p => $"{p} = \"{Mask}\""));
        return ConfigurationFactory.ParseString(masks).WithFallback(config);
    }

    /// <summary>
    /// True when raw HOCON text (from --hocon) sets a secret, or cannot be parsed (then nobody can tell, so it is
    /// treated as one): such text is never logged.
    /// </summary>
    public static bool SetsSecret(string hocon)
    {
        try
        {
            var parsed = ConfigurationFactory.ParseString(hocon);
            return HoconPaths.Any(parsed.HasPath);
        }
        catch (Exception)
        {
            return true;
        }
    }
}
