using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ActorService.Node.Config;
using Akka.Hosting;
using Akka.Remote.Transport.DotNetty;

namespace ActorService.Node.Hosting;

/// <summary>
/// TLS for Akka remoting, configured with Akka's own settings (<c>akka.remote.dot-netty.tcp.enable-ssl</c> and
/// <c>ssl { certificate { path, password }, suppress-validation, require-mutual-authentication,
/// validate-certificate-hostname }</c>), but with the certificate file loaded here and handed to Akka as a
/// <see cref="DotNettySslSetup"/>. That way the certificate password never enters the ActorSystem's configuration
/// (which is what Akka would print with <c>log-config-on-start</c>), and a missing file or wrong password stops the
/// node at start with exit code 2 and a clear message instead of failing at the first connection. A certificate
/// taken from the OS store (<c>use-thumbprint-over-file</c>) has no password and is left to Akka.
/// </summary>
internal static class RemotingTls
{
    private const string Tcp = "akka.remote.dot-netty.tcp";

    /// <summary>True when remoting TLS is on with a certificate file that this class loads.</summary>
    public static bool LoadsCertificateFile(Akka.Configuration.Config hocon) =>
        hocon.GetBoolean($"{Tcp}.enable-ssl", false) && !hocon.GetBoolean($"{Tcp}.ssl.certificate.use-thumbprint-over-file", false);

    /// <summary>The configuration Akka sees: without the certificate file, which it gets as a setup instead.</summary>
    public static Akka.Configuration.Config WithoutCertificateFile(Akka.Configuration.Config hocon) =>
        LoadsCertificateFile(hocon)
            ? Akka.Configuration.ConfigurationFactory.ParseString($"{Tcp}.ssl.certificate {{ path = \"\", password = \"\" }}").WithFallback(hocon)
            : hocon;

    /// <summary>
    /// The setup carrying the loaded certificate, or null when remoting TLS is off or store-based. Called while the
    /// host is built, so a bad certificate is a configuration error (exit 2) before anything starts.
    /// </summary>
    /// <exception cref="ConfigurationException">no path, an unreadable file, a wrong password or no private key.</exception>
    public static DotNettySslSetup? LoadSetup(Akka.Configuration.Config hocon)
    {
        if (!LoadsCertificateFile(hocon)) return null;
        var ssl = hocon.GetConfig($"{Tcp}.ssl");
        return new DotNettySslSetup(
            Load(ssl.GetString("certificate.path", ""), ssl.GetString("certificate.password", "")),
            suppressValidation: ssl.GetBoolean("suppress-validation", false),
            requireMutualAuthentication: ssl.GetBoolean("require-mutual-authentication", true),
            validateCertificateHostname: ssl.GetBoolean("validate-certificate-hostname", false));
    }

    public static AkkaConfigurationBuilder WithRemotingTls(this AkkaConfigurationBuilder akka, DotNettySslSetup? setup) =>
        setup is null ? akka : akka.AddSetup(setup);

    private static X509Certificate2 Load(string path, string password)
    {
        if (path.Length == 0)
            throw new ConfigurationException($"{Tcp}.enable-ssl is on but {Tcp}.ssl.certificate.path is empty (a PKCS#12 file with the node's certificate and key)");
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            // The message names the file, never the password.
            throw new ConfigurationException($"cannot load the remoting certificate '{path}': {e.Message}");
        }
        return certificate.HasPrivateKey
            ? certificate
            : throw new ConfigurationException($"the remoting certificate '{path}' has no private key");
    }
}
