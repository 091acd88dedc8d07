using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ActorService.Node.Config;
using Akka.Event;
using Akka.Hosting;
using Akka.Remote.Transport.DotNetty;

namespace ActorService.Node.Hosting;

/// <summary>
/// Mutual TLS for Akka remoting: every connection between nodes, in both directions, presents a certificate, and each
/// side accepts the other's only if it chains to the cluster's own CA (<c>actor-service.remoting-tls.ca-file</c>).
/// <para>
/// Akka's own validation (<c>suppress-validation = off</c>) asks the operating system's trust store, which trusts every
/// public CA: any certificate bought or issued anywhere would join. So the node hands Akka a
/// <see cref="DotNettySslSetup"/> with a validator of its own (<see cref="IssuedByClusterCa"/>) that builds the chain
/// against the cluster CA bundle alone (<see cref="X509ChainTrustMode.CustomRootTrust"/>). During a CA rotation the
/// bundle holds the old and the new CA. Mutual authentication is always on: with it off, Akka's server side asks the
/// client for no certificate at all.
/// </para>
/// <para>
/// The node certificate is PEM (certificate and key files, what cert-manager and <c>deploy/tls/make-certs.sh</c>
/// write) or PKCS#12 (with <c>ssl.certificate.password</c>). It is loaded here, so its password never enters the
/// ActorSystem's configuration, and a missing file, a wrong password, a missing CA or a node certificate the CA did
/// not issue stop the node at start with exit code 2 and a clear message instead of failing at the first connection.
/// </para>
/// </summary>
internal static class RemotingTls
{
    private const string Tcp = "akka.remote.dot-netty.tcp";
    private const string Ours = "actor-service.remoting-tls";

    /// <summary>True when remoting TLS is on (<c>enable-ssl</c>, which <c>--remoting-tls-cert</c> turns on).</summary>
    public static bool IsOn(Akka.Configuration.Config hocon) => hocon.GetBoolean($"{Tcp}.enable-ssl", false);

    /// <summary>The configuration Akka sees: without the certificate file, which it gets as a setup instead.</summary>
    public static Akka.Configuration.Config WithoutCertificateFile(Akka.Configuration.Config hocon) =>
        IsOn(hocon)
            ? Akka.Configuration.ConfigurationFactory.ParseString($"{Tcp}.ssl.certificate {{ path = \"\", password = \"\" }}").WithFallback(hocon)
            : hocon;

    /// <summary>
    /// The setup carrying the node certificate and the cluster-CA validator, or null when remoting TLS is off. Called
    /// while the host is built, so a bad certificate is a configuration error (exit 2) before anything starts.
    /// </summary>
    /// <exception cref="ConfigurationException">a missing or unreadable file, a wrong password, no private key, no CA, a
    /// node certificate the CA did not issue, or a setting that would turn verification off.</exception>
    public static DotNettySslSetup? LoadSetup(Akka.Configuration.Config hocon)
    {
        if (!IsOn(hocon)) return null;
        var ssl = hocon.GetConfig($"{Tcp}.ssl");
        if (ssl.GetBoolean("certificate.use-thumbprint-over-file", false))
            throw new ConfigurationException($"{Tcp}.ssl.certificate.use-thumbprint-over-file is not supported: give the node certificate as a file (--remoting-tls-cert)");
        if (ssl.GetBoolean("suppress-validation", false) || !ssl.GetBoolean("require-mutual-authentication", true))
            throw new ConfigurationException($"{Tcp}.ssl.suppress-validation = on or require-mutual-authentication = off would let any process join: remoting TLS here is always mutual and verified");

        var authorities = LoadAuthorities(hocon.GetString($"{Ours}.ca-file", ""));
        var certificate = LoadCertificate(ssl.GetString("certificate.path", ""), hocon.GetString($"{Ours}.key-file", ""), ssl.GetString("certificate.password", ""));
        if (ChainError(certificate, authorities) is { } error)
            throw new ConfigurationException($"the remoting certificate '{certificate.Subject}' is not issued by a CA in {hocon.GetString($"{Ours}.ca-file")}: {error}");

        var validator = IssuedByClusterCa(authorities);
        if (ssl.GetBoolean("validate-certificate-hostname", false))
            validator = CertificateValidation.Combine(validator, CertificateValidation.ValidateHostname());
        return new DotNettySslSetup(certificate, suppressValidation: false, requireMutualAuthentication: true, customValidator: validator);
    }

    public static AkkaConfigurationBuilder WithRemotingTls(this AkkaConfigurationBuilder akka, DotNettySslSetup? setup) =>
        setup is null ? akka : akka.AddSetup(setup);

    /// <summary>
    /// Accepts a peer's certificate only when it chains to one of <paramref name="authorities"/>: the operating system's
    /// trust store is not consulted, so a certificate from any other CA, or a self-signed one, is refused and logged.
    /// </summary>
    public static CertificateValidationCallback IssuedByClusterCa(X509Certificate2Collection authorities) =>
        (certificate, presentedChain, peer, _, log) =>
        {
            if (certificate is null)
            {
                log.Warning("Remoting TLS: refused {0}: it presented no certificate", peer);
                return false;
            }
            // Intermediates the peer sent are candidates for the chain, never anchors of trust.
            var intermediates = presentedChain?.ChainElements.Select(e => e.Certificate).Where(c => !c.Equals(certificate));
            if (ChainError(certificate, authorities, intermediates) is not { } error) return true;
            log.Warning("Remoting TLS: refused {0}: certificate '{1}' issued by '{2}' does not chain to the cluster CA: {3}",
                peer, certificate.Subject, certificate.Issuer, error);
            return false;
        };

    /// <summary>Null when <paramref name="certificate"/> chains to one of <paramref name="authorities"/>, else why not.</summary>
    private static string? ChainError(X509Certificate2 certificate, X509Certificate2Collection authorities, IEnumerable<X509Certificate2>? intermediates = null)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        // No revocation lists: nodes of a private CA have none to fetch; a compromised key is handled by rotating the CA.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        foreach (var c in intermediates ?? []) chain.ChainPolicy.ExtraStore.Add(c);
        if (chain.Build(certificate)) return null;
        var problems = chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct();
        return string.Join("; ", problems) is { Length: > 0 } text ? text : "untrusted chain";
    }

    private static X509Certificate2Collection LoadAuthorities(string path)
    {
        if (path.Length == 0)
            throw new ConfigurationException($"remoting TLS is on but {Ours}.ca-file is empty (--remoting-tls-ca): the PEM file of the CA that issued the nodes' certificates, the only CA peers are checked against");
        var authorities = new X509Certificate2Collection();
        try { authorities.ImportFromPemFile(path); }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"cannot read the remoting CA file '{path}': {e.Message}");
        }
        return authorities.Count > 0 ? authorities : throw new ConfigurationException($"the remoting CA file '{path}' holds no PEM certificate");
    }

    private static X509Certificate2 LoadCertificate(string path, string keyPath, string password)
    {
        if (path.Length == 0)
            throw new ConfigurationException($"remoting TLS is on but {Tcp}.ssl.certificate.path is empty (--remoting-tls-cert): the node's certificate");
        X509Certificate2 certificate;
        try
        {
            certificate = keyPath.Length > 0
                ? FromPem(path, keyPath)
                : X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            // The message names the file, never the password.
            throw new ConfigurationException($"cannot load the remoting certificate '{path}'{(keyPath.Length > 0 ? $" with key '{keyPath}'" : "")}: {e.Message}");
        }
        return certificate.HasPrivateKey
            ? certificate
            : throw new ConfigurationException($"the remoting certificate '{path}' has no private key (give --remoting-tls-key for a PEM certificate)");
    }

    /// <summary>
    /// A PEM certificate and key, re-imported as PKCS#12: on Linux SslStream takes either, but an ephemeral PEM key is
    /// refused as a server credential on some platforms, and the round trip costs nothing.
    /// </summary>
    private static X509Certificate2 FromPem(string path, string keyPath)
    {
        using var pem = X509Certificate2.CreateFromPemFile(path, keyPath);
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.EphemeralKeySet);
    }
}
