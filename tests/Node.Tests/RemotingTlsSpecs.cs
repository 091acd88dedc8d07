using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ActorService.Node.Config;
using ActorService.Node.Hosting;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>
/// Mutual TLS between nodes (docs/security.md), on loopback. The cluster's CA and node certificate come from
/// deploy/tls/make-certs.sh, as a user makes them. Only a certificate issued by the cluster's CA joins: a plain-TCP
/// node, a TLS client with no certificate, a self-signed certificate and one from another CA are all kept out, even
/// though that other CA is in the operating system's trust store (SSL_CERT_FILE for every process here), which is
/// all Akka's own validation would have asked. Every outsider serves the same database as the cluster, so its ledger
/// check would pass, and trusts the cluster's CA (a CA certificate is public), so it gets as far as presenting its
/// own certificate: TLS alone keeps it out.
/// </summary>
[Collection(nameof(RunsAlone))]
public sealed class RemotingTlsSpecs
{
    private const string Token = "tls-admin-token-0123456789abcdef-tls";

    [Fact]
    public async Task Should_form_a_cluster_over_mutual_tls_and_keep_out_every_node_without_a_certificate_of_the_cluster_ca_when_tls_is_on()
    {
        var dir = Repo.NewWorkDir("tls");
        var cluster = MakeCerts(Path.Combine(dir, "cluster-ca"));
        var other = MakeCerts(Path.Combine(dir, "other-ca"), "other-ca-node");
        var selfSigned = SelfSigned(Path.Combine(dir, "self-signed"), "CN=self-signed-node");
        // The OS trust store (OpenSSL's SSL_CERT_FILE) trusts both CAs, as it trusts every public CA.
        var osStore = Path.Combine(dir, "os-trust-store.pem");
        File.WriteAllText(osStore, File.ReadAllText(cluster.Ca) + "\n" + File.ReadAllText(other.Ca));
        var data = Path.Combine(dir, "data"); // one database: every outsider would pass the ledger check
        NodeLaunch Tls(Certs certs) => new NodeLaunch(Ports.Free(), Ports.Free(), data) with
        {
            AdminToken = Token,
            Environment = new Dictionary<string, string> { ["SSL_CERT_FILE"] = osStore },
            ExtraArgs = ["--remoting-tls-cert", certs.Cert, "--remoting-tls-key", certs.Key, "--remoting-tls-ca", certs.Ca],
        };

        await using var a = await NodeProcess.StartReadyAsync(Tls(cluster), "a");
        var seeds = new[] { $"127.0.0.1:{a.Launch.ClusterPort}" };
        await using var b = await NodeProcess.StartReadyAsync(Tls(cluster) with { Seeds = seeds }, "b");
        await Eventually.True(async () => (await a.UpMembers(Token)).Count == 2, TimeSpan.FromSeconds(30), "b to be Up in a's view over TLS");
        Assert.Contains("akka.ssl.tcp://", (await a.UpMembers(Token))[0]);

        await using var plain = NodeProcess.Start(new NodeLaunch(Ports.Free(), Ports.Free(), data) with { AdminToken = Token, Seeds = seeds }, "plain");
        await using var rogue = NodeProcess.Start(Tls(AlsoTrusting(other, cluster.Ca)) with { Seeds = seeds }, "other-ca");
        await using var lone = NodeProcess.Start(Tls(AlsoTrusting(selfSigned, cluster.Ca)) with { Seeds = seeds }, "self-signed");
        var outsiders = new[] { plain, rogue, lone };
        foreach (var outsider in outsiders)
            await outsider.WaitForLogAsync(l => l.Contains("Ledger check: no answer", StringComparison.Ordinal),
                TimeSpan.FromSeconds(60), "an unanswered first round of seed contacts");
        // The seed refused the TLS ones by name: the certificate did not chain to the cluster CA.
        foreach (var cn in new[] { "other-ca-node", "self-signed-node" })
            await a.WaitForLogAsync(l => l.Contains("Remoting TLS: refused", StringComparison.Ordinal) && l.Contains($"CN={cn}", StringComparison.Ordinal),
                TimeSpan.FromSeconds(30), $"the refusal of the certificate CN={cn}");
        await AssertTlsClientWithoutCertificateIsRefused(a);

        Assert.Equal(2, (await a.UpMembers(Token)).Count);
        foreach (var outsider in outsiders)
        {
            // An outsider stays outside: still running and not ready, or shut down by Akka itself, which ends an
            // ActorSystem whose outbound TLS handshake was refused (seen when the refusal reaches it in the handshake).
            // That shutdown can come at any moment, also between asking whether it runs and asking whether it is ready.
            var stopped = outsider.HasExited;
            if (!stopped)
            {
                try { Assert.NotEqual(HttpStatusCode.OK, (await outsider.Http.GetAsync("health/ready")).StatusCode); }
                catch (HttpRequestException)
                {
                    await outsider.WaitForExitAsync(TimeSpan.FromSeconds(30)); // its listener closed: it is on its way out
                    stopped = true;
                }
            }
            if (stopped)
            {
                Assert.Contains(outsider.Lines, l => l.Contains("TLS handshake failed", StringComparison.Ordinal));
                // It never served: its exit must not read as a clean drain (0) to whatever restarts it.
                Assert.Equal(1, await outsider.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            }
            Assert.DoesNotContain(outsider.Lines, l => l.Contains("Member Up:", StringComparison.Ordinal));
        }
        // The cluster still works across the TLS link: a write through b is read back through a.
        var id = $"tls-{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.OK, (await b.Http.Deposit(id, 42)).Status);
        Assert.Equal(42, (await a.Http.GetAccount(id)).Balance);
    }

    [Fact]
    public async Task Should_exit_with_code_2_and_name_the_file_when_the_certificate_password_is_wrong()
    {
        var dir = Repo.NewWorkDir("tls-bad");
        var certs = MakeCerts(Path.Combine(dir, "ca"));
        var pfx = Path.Combine(dir, "node.pfx");
        using (var pem = X509Certificate2.CreateFromPemFile(certs.Cert, certs.Key))
            File.WriteAllBytes(pfx, pem.Export(X509ContentType.Pkcs12, "right-password"));
        await using var node = NodeProcess.Start(NodeLaunch.Single(dir) with
        {
            ExtraArgs = ["--remoting-tls-cert", pfx, "--remoting-tls-ca", certs.Ca],
            Hocon = ["""akka.remote.dot-netty.tcp.ssl.certificate.password = "wrong-password" """],
        });
        Assert.Equal(2, await node.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(node.Lines, l => l.Contains("cannot load the remoting certificate", StringComparison.Ordinal) && l.Contains(pfx, StringComparison.Ordinal));
        Assert.DoesNotContain(node.Lines, l => l.Contains("wrong-password", StringComparison.Ordinal));
    }

    public static TheoryData<string, string> BadTlsSettings => new()
    {
        { "no CA file", "ca-file = \"\"" },
        { "a node certificate from another CA", "ca-file = \"{other}\"" },
        { "validation suppressed", "suppress-validation = on" },
        { "mutual authentication off", "require-mutual-authentication = off" },
    };

    [Theory]
    [MemberData(nameof(BadTlsSettings))]
    public void Should_refuse_to_start_when_the_tls_settings_would_let_an_unverified_peer_in(string name, string setting)
    {
        var dir = Repo.NewWorkDir("tls-config");
        var certs = MakeCerts(Path.Combine(dir, "ca"));
        var other = MakeCerts(Path.Combine(dir, "other"));
        var hocon = $$"""
            akka.remote.dot-netty.tcp { enable-ssl = on, ssl.certificate.path = "{{certs.Cert}}" }
            actor-service.remoting-tls { key-file = "{{certs.Key}}", ca-file = "{{certs.Ca}}" }
            """;
        var bad = setting.StartsWith("ca-file", StringComparison.Ordinal)
            ? $"actor-service.remoting-tls.{setting.Replace("{other}", other.Ca)}"
            : $"akka.remote.dot-netty.tcp.ssl.{setting}";
        var config = Akka.Configuration.ConfigurationFactory.ParseString(bad).WithFallback(Akka.Configuration.ConfigurationFactory.ParseString(hocon));
        Assert.NotNull(RemotingTls.LoadSetup(Akka.Configuration.ConfigurationFactory.ParseString(hocon))); // control: the good settings load
        var e = Assert.Throws<ConfigurationException>(() => RemotingTls.LoadSetup(config));
        Assert.False(string.IsNullOrWhiteSpace(e.Message), name);
    }

    [Fact]
    public void Should_address_seeds_with_the_tls_scheme_when_remoting_tls_is_on()
    {
        var tls = "akka.remote.dot-netty.tcp.enable-ssl = on";
        var withSeeds = HoconLoader.Load(NodeOptions.Parse(["--seeds", "127.0.0.1:5001", "--hocon", tls], _ => null));
        Assert.Equal(["akka.ssl.tcp://actor-service@127.0.0.1:5001"], withSeeds.GetStringList("akka.cluster.seed-nodes"));
        var alone = HoconLoader.Load(NodeOptions.Parse(["--cluster-port", "5002", "--remoting-tls-cert", "/x/tls.crt"], _ => null));
        Assert.Equal(["akka.ssl.tcp://actor-service@127.0.0.1:5002"], alone.GetStringList("akka.cluster.seed-nodes"));
    }

    /// <summary>A TLS client that presents no certificate: the node's remoting port ends the connection in the handshake.</summary>
    private static async Task AssertTlsClientWithoutCertificateIsRefused(NodeProcess node)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, node.Launch.ClusterPort);
        await using var tls = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var refused = false;
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, deadline.Token);
            // With TLS 1.3 the server checks the client's (missing) certificate after the client's side finished: the
            // refusal arrives as the connection closing.
            refused = await tls.ReadAsync(new byte[1], deadline.Token) == 0;
        }
        catch (Exception e) when (e is AuthenticationException or IOException) { refused = true; }
        Assert.True(refused, "a TLS client without a certificate was let through the handshake");
        await node.WaitForLogAsync(l => l.Contains("did not provide a certificate", StringComparison.Ordinal), TimeSpan.FromSeconds(15),
            "the node's refusal of a TLS client without a certificate");
    }

    private sealed record Certs(string Ca, string Cert, string Key);

    /// <summary>The same certificate, with a CA file that also holds <paramref name="caPem"/>.</summary>
    private static Certs AlsoTrusting(Certs certs, string caPem)
    {
        var bundle = Path.Combine(Path.GetDirectoryName(certs.Cert)!, "trusted-bundle.pem");
        File.WriteAllText(bundle, File.ReadAllText(certs.Ca) + "\n" + File.ReadAllText(caPem));
        return certs with { Ca = bundle };
    }

    /// <summary>Runs deploy/tls/make-certs.sh as a user would: a CA and a node certificate in <paramref name="dir"/>.</summary>
    private static Certs MakeCerts(string dir, string? commonName = null)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(Repo.Root, "deploy", "tls", "make-certs.sh"), "all", dir }) psi.ArgumentList.Add(a);
        if (commonName is not null) psi.ArgumentList.Add(commonName);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"make-certs.sh all {dir} failed: {output}");
        return new Certs(Path.Combine(dir, "ca.crt"), Path.Combine(dir, "tls.crt"), Path.Combine(dir, "tls.key"));
    }

    /// <summary>A self-signed node certificate (its own CA file, so the node starts): no CA vouches for it.</summary>
    private static Certs SelfSigned(string dir, string subject)
    {
        Directory.CreateDirectory(dir);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(7));
        var certs = new Certs(Path.Combine(dir, "tls.crt"), Path.Combine(dir, "tls.crt"), Path.Combine(dir, "tls.key"));
        File.WriteAllText(certs.Cert, certificate.ExportCertificatePem());
        File.WriteAllText(certs.Key, key.ExportPkcs8PrivateKeyPem());
        return certs;
    }
}
