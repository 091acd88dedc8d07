using System.Net;
using ActorService.Node.Config;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>
/// Secrets (the admin token, connection strings, the remoting certificate password) come from files and the
/// environment and are never written to the log, to Akka's own config dump or to /admin/status.
/// </summary>
public sealed class SecretRedactionSpecs
{
    [Fact]
    public async Task Should_never_log_or_show_the_admin_token_when_admin_is_used_with_right_and_wrong_tokens()
    {
        var dir = Repo.NewWorkDir("secrets");
        var token = "adm-" + Guid.NewGuid().ToString("N");
        var wrong = "adm-" + Guid.NewGuid().ToString("N");
        var certPassword = "pfx-" + Guid.NewGuid().ToString("N");
        var tokenFile = Path.Combine(dir, "admin-token");
        await File.WriteAllTextAsync(tokenFile, token + "\n");

        // The token comes from a mounted-secret style file named by an environment variable; the most talkative log
        // level, and Akka asked to dump its whole configuration at start.
        await using var node = await NodeProcess.StartReadyAsync(NodeLaunch.Single(dir) with
        {
            LogLevel = "Debug",
            Environment = new Dictionary<string, string> { ["ACTORSERVICE_ADMIN_TOKEN_FILE"] = tokenFile },
            Hocon = ["akka.log-config-on-start = on", $"akka.remote.dot-netty.tcp.ssl.certificate.password = \"{certPassword}\""],
        });
        using var http = NodeProcess.NewClient(node.ManagementUri); // /admin is on the management listener

        foreach (var bearer in new[] { wrong, token[..^2], token })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "admin/status");
            request.Headers.Authorization = new("Bearer", bearer);
            var answer = await LedgerClient.Send(http, request);
            var expected = bearer == token ? HttpStatusCode.OK : HttpStatusCode.Forbidden;
            Assert.True(answer.Status == expected, $"admin/status with {(bearer == token ? "the right" : "a wrong")} token: expected {(int)expected}, got {answer}");
            Assert.DoesNotContain(token, answer.Body.GetRawText());
            Assert.DoesNotContain(certPassword, answer.Body.GetRawText());
        }
        using (var drain = new HttpRequestMessage(HttpMethod.Post, "admin/drain"))
        {
            drain.Headers.Authorization = new("Bearer", token);
            Assert.Equal(HttpStatusCode.Accepted, (await http.SendAsync(drain)).StatusCode);
        }
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        // The proof that the scan below reads a log with something in it: Akka's config dump ran, with the masks.
        var log = string.Join('\n', node.Lines);
        Assert.Contains("log-config-on-start", log);
        Assert.Contains(Secrets.Mask, log);
        foreach (var (what, secret) in new[] { ("admin token", token), ("wrong token", wrong), ("certificate password", certPassword) })
        {
            var leaks = node.Lines.Where(l => l.Contains(secret, StringComparison.Ordinal)).ToList();
            Assert.True(leaks.Count == 0, $"the {what} appears in the log ({node.LogPath}):\n{string.Join('\n', leaks.Take(5))}");
        }
    }

    [Fact]
    public void Should_mask_raw_hocon_in_the_logged_flags_when_it_sets_a_secret()
    {
        var options = NodeOptions.Parse(
            ["--hocon", "actor-service.admin.token = \"via-hocon\"", "--http-port", "1"], _ => null);
        var described = string.Join(' ', options.Describe());
        Assert.DoesNotContain("via-hocon", described);
        Assert.Contains("--http-port=1", described);

        var harmless = NodeOptions.Parse(["--hocon", "actor-service.drain.lb-delay = 3s"], _ => null);
        Assert.Contains("lb-delay = 3s", string.Join(' ', harmless.Describe()));
    }

    [Fact]
    public void Should_mask_every_secret_override_in_the_config_given_to_akka()
    {
        // Every override marked Secret (admin token, and whatever connection strings are added later) is covered.
        var secretOverrides = Overrides.All.Where(o => o.Secret).SelectMany(o => o.HoconPaths).ToList();
        Assert.Contains("actor-service.admin.token", secretOverrides);
        var values = secretOverrides.Append(Secrets.RemotingCertificatePassword).Distinct()
            .Select((path, i) => (path, value: $"secret-value-{i}")).ToList();
        var config = Akka.Configuration.ConfigurationFactory.ParseString(string.Join('\n', values.Select(v => $"{v.path} = \"{v.value}\"")));

        var redacted = Secrets.Redact(config);
        foreach (var (path, value) in values)
        {
            Assert.Equal(value, config.GetString(path));
            Assert.True(redacted.GetString(path) == Secrets.Mask, $"{path} reaches Akka unmasked");
        }
    }
}
