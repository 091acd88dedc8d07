using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ActorService.Node.Config;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>
/// Akka remoting over mutual TLS, as the README's "Security and limits" section documents it, on loopback with a
/// throw-away certificate authority: nodes holding a certificate issued by the trusted CA form a cluster with full
/// chain validation, while a node speaking plain TCP and a node with a certificate from another CA are kept out.
/// The node processes trust the test CA through OpenSSL's SSL_CERT_FILE, so nothing on the machine is changed.
/// </summary>
public sealed class RemotingTlsSpecs
{
    private const string Token = "tls-admin-token-0123456789abcdef-tls";

    [Fact]
    public async Task Should_form_a_cluster_over_mutual_tls_and_keep_out_plain_and_untrusted_nodes_when_tls_is_on()
    {
        var dir = Repo.NewWorkDir("tls");
        var password = "pfx-" + Guid.NewGuid().ToString("N");
        var (caPem, trusted, untrusted) = WriteCertificates(dir, password);
        var trustCa = new Dictionary<string, string> { ["SSL_CERT_FILE"] = caPem };
        NodeLaunch Tls(string pfx) => NodeLaunch.Single(dir) with
        {
            AdminToken = Token,
            Environment = trustCa,
            Hocon = [$$"""akka.remote.dot-netty.tcp { enable-ssl = on, ssl { suppress-validation = off, certificate { path = "{{pfx}}", password = "{{password}}" } } }"""],
        };

        await using var a = await NodeProcess.StartReadyAsync(Tls(trusted), "a");
        var seeds = new[] { $"127.0.0.1:{a.Launch.ClusterPort}" };
        await using var b = await NodeProcess.StartReadyAsync(Tls(trusted) with { Seeds = seeds }, "b");
        await Eventually.True(async () => (await a.UpMembers(Token)).Count == 2, TimeSpan.FromSeconds(30), "b to be Up in a's view over TLS");

        // Outsiders: plain TCP, and TLS with a certificate the cluster's CA did not issue.
        await using var plain = NodeProcess.Start(NodeLaunch.Single(dir) with { AdminToken = Token, Seeds = seeds }, "plain");
        await using var rogue = NodeProcess.Start(Tls(untrusted) with { Seeds = seeds }, "rogue");
        foreach (var outsider in new[] { plain, rogue })
            await outsider.WaitForLogAsync(l => l.Contains("Couldn't join seed nodes", StringComparison.Ordinal),
                TimeSpan.FromSeconds(60), "a failed round of seed contacts");

        Assert.Equal(2, (await a.UpMembers(Token)).Count);
        foreach (var outsider in new[] { plain, rogue })
        {
            Assert.False(outsider.HasExited, $"{outsider.Name} should keep running, just outside the cluster\n{outsider.Tail()}");
            Assert.NotEqual(HttpStatusCode.OK, (await outsider.Http.GetAsync("health/ready")).StatusCode);
        }
        // The cluster still works across the TLS link: a write through b is read back through a.
        var id = $"tls-{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.OK, (await b.Http.Deposit(id, 42)).Status);
        Assert.Equal(42, (await a.Http.GetAccount(id)).Balance);

        foreach (var node in new[] { a, b, plain, rogue })
            Assert.DoesNotContain(node.Lines, l => l.Contains(password, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_exit_with_code_2_and_name_the_file_when_the_certificate_password_is_wrong()
    {
        var dir = Repo.NewWorkDir("tls-bad");
        var (_, trusted, _) = WriteCertificates(dir, "right-password");
        await using var node = NodeProcess.Start(NodeLaunch.Single(dir) with
        {
            Hocon = [$$"""akka.remote.dot-netty.tcp { enable-ssl = on, ssl.certificate { path = "{{trusted}}", password = "wrong-password" } }"""],
        });
        Assert.Equal(2, await node.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(node.Lines, l => l.Contains("cannot load the remoting certificate", StringComparison.Ordinal) && l.Contains(trusted, StringComparison.Ordinal));
        Assert.DoesNotContain(node.Lines, l => l.Contains("wrong-password", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_address_seeds_with_the_tls_scheme_when_remoting_tls_is_on()
    {
        var tls = "akka.remote.dot-netty.tcp.enable-ssl = on";
        var withSeeds = HoconLoader.Load(NodeOptions.Parse(["--seeds", "127.0.0.1:5001", "--hocon", tls], _ => null));
        Assert.Equal(["akka.ssl.tcp://actor-service@127.0.0.1:5001"], withSeeds.GetStringList("akka.cluster.seed-nodes"));
        var alone = HoconLoader.Load(NodeOptions.Parse(["--cluster-port", "5002", "--hocon", tls], _ => null));
        Assert.Equal(["akka.ssl.tcp://actor-service@127.0.0.1:5002"], alone.GetStringList("akka.cluster.seed-nodes"));
    }


    /// <summary>A CA (PEM), a node certificate it issued and one issued by another CA (PKCS#12 files with the password).</summary>
    private static (string CaPem, string TrustedPfx, string UntrustedPfx) WriteCertificates(string dir, string password)
    {
        using var ca = NewCa("CN=ActorService test CA");
        using var otherCa = NewCa("CN=Someone else's CA");
        var caPem = Path.Combine(dir, "ca.pem");
        File.WriteAllText(caPem, ca.ExportCertificatePem());
        var trusted = Path.Combine(dir, "node.pfx");
        var untrusted = Path.Combine(dir, "rogue.pfx");
        File.WriteAllBytes(trusted, NodeCertificate(ca, password));
        File.WriteAllBytes(untrusted, NodeCertificate(otherCa, password));
        return (caPem, trusted, untrusted);
    }

    private static X509Certificate2 NewCa(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    private static byte[] NodeCertificate(X509Certificate2 ca, string password)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=actorservice-node", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        // Both ends authenticate (mutual TLS): the same certificate serves as server and as client.
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        using var issued = request.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(7), RandomNumberGenerator.GetBytes(16));
        using var withKey = issued.CopyWithPrivateKey(key);
        return withKey.Export(X509ContentType.Pkcs12, password);
    }
}
