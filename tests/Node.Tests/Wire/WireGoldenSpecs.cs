using ActorService.TestSupport;
using Akka.Actor;
using Xunit;

namespace ActorService.Node.Tests.Wire;

/// <summary>
/// Rolling deploys mix releases, so every release must read what the releases before it wrote. Golden/v&lt;N&gt;/ holds
/// the bytes each message was written as by schema version N (hex, one file per manifest), checked in when the message
/// or the version was new and never rewritten. The current version's files must read back as <see cref="WireSpecimens"/>
/// and be exactly what this release writes; every older version's files must still read as the same message type.
/// A missing current file fails; <c>ACTORSERVICE_WIRE_WRITE_GOLDEN=1</c> writes the missing ones (never overwrites).
/// </summary>
public sealed class WireGoldenSpecs : IDisposable
{
    /// <summary>The schema version this release writes (account_messages.proto, ledger_gate_messages.proto).</summary>
    private const string CurrentVersion = "v1";

    private static readonly string GoldenRoot = Path.Combine(Repo.Root, "tests", "Node.Tests", "Wire", "Golden");
    private readonly ActorSystem _system = WireConfig.LocalSystem("wire-golden");

    public static TheoryData<string, string> Manifests()
    {
        var data = new TheoryData<string, string>();
        foreach (var (serializer, specimens) in WireSpecimens.BySerializer)
            foreach (var manifest in specimens.Keys) data.Add(serializer, manifest);
        return data;
    }

    [Theory]
    [MemberData(nameof(Manifests))]
    public void Should_read_the_specimen_when_its_checked_in_bytes_of_the_current_schema_arrive(string serializer, string manifest)
    {
        var s = WireConfig.Serializers(_system)[serializer];
        var specimen = WireSpecimens.BySerializer[serializer][manifest];

        var read = s.FromBinary(Golden(serializer, manifest), manifest);

        Assert.Equal(specimen, read);
    }

    [Theory]
    [MemberData(nameof(Manifests))]
    public void Should_write_the_checked_in_bytes_under_its_manifest_when_the_specimen_is_sent(string serializer, string manifest)
    {
        var s = WireConfig.Serializers(_system)[serializer];
        var specimen = WireSpecimens.BySerializer[serializer][manifest];

        Assert.Equal(manifest, s.Manifest(specimen));
        Assert.Equal(Convert.ToHexString(Golden(serializer, manifest)), Convert.ToHexString(s.ToBinary(specimen)));
    }

    [Fact]
    public void Should_have_a_specimen_for_every_manifest_when_a_serializer_knows_it()
    {
        foreach (var (name, s) in WireConfig.Serializers(_system))
            Assert.True(s.Entries.Select(e => e.Manifest).Order().SequenceEqual(WireSpecimens.BySerializer[name].Keys.Order()),
                $"serializer {name} writes [{string.Join(", ", s.Entries.Select(e => e.Manifest))}] but WireSpecimens has " +
                $"[{string.Join(", ", WireSpecimens.BySerializer[name].Keys)}]: every manifest needs a specimen and golden bytes");
    }

    [Fact]
    public void Should_still_read_every_older_schema_file_as_its_message_type_when_a_rolling_deploy_mixes_releases()
    {
        var serializers = WireConfig.Serializers(_system);
        var files = Directory.EnumerateFiles(GoldenRoot, "*.hex", SearchOption.AllDirectories).ToList();
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var serializer = Path.GetFileName(Path.GetDirectoryName(file)!);
            var manifest = Path.GetFileNameWithoutExtension(file);
            var where = Path.GetRelativePath(GoldenRoot, file);
            Assert.True(serializers.ContainsKey(serializer), $"{where}: no serializer named {serializer}");
            Assert.True(WireSpecimens.BySerializer[serializer].TryGetValue(manifest, out var specimen),
                $"{where}: manifest {manifest} is no longer known, but a release that writes it may still be running");

            var read = serializers[serializer].FromBinary(Convert.FromHexString(File.ReadAllText(file).Trim()), manifest);

            Assert.True(read.GetType() == specimen.GetType(), $"{where} read as {read.GetType()}, expected {specimen.GetType()}");
        }
    }

    private static byte[] Golden(string serializer, string manifest)
    {
        var path = Path.Combine(GoldenRoot, CurrentVersion, serializer, manifest + ".hex");
        if (!File.Exists(path) && Environment.GetEnvironmentVariable("ACTORSERVICE_WIRE_WRITE_GOLDEN") == "1")
        {
            using var system = WireConfig.LocalSystem("wire-golden-writer");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, Convert.ToHexString(WireConfig.Serializers(system)[serializer].ToBinary(WireSpecimens.BySerializer[serializer][manifest])) + "\n");
        }
        Assert.True(File.Exists(path), $"no golden bytes for [{manifest}] at {path}: run the wire specs once with ACTORSERVICE_WIRE_WRITE_GOLDEN=1 and check the file in");
        return Convert.FromHexString(File.ReadAllText(path).Trim());
    }

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));
}
