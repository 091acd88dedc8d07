using System.Reflection;

namespace ActorService.TestSupport;

/// <summary>Paths inside the repository the tests run from.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ActorService.sln"))) return dir.FullName;
        throw new InvalidOperationException("ActorService.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The build configuration the tests were built with; the node is taken from the same one.</summary>
    public static string Configuration { get; } =
        typeof(Repo).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    public static string NodeDll => Path.Combine(Root, "src", "Node", "bin", Configuration, "net10.0", "ActorService.Node.dll");

    /// <summary>The timeline picture tool (tools/Timeline), from the same build configuration.</summary>
    public static string TimelineDll => Path.Combine(Root, "tools", "Timeline", "bin", Configuration, "net10.0", "ActorService.Timeline.dll");

    public static string HoconFile => Path.Combine(Root, "hocon.conf");

    /// <summary>A fresh folder for one test's data, under the repository's ignored .test-work folder.</summary>
    public static string NewWorkDir(string name)
    {
        var dir = Path.Combine(Root, ".test-work", $"{name}-{DateTime.UtcNow:HHmmss}-{Guid.NewGuid().ToString("N")[..6]}");
        Directory.CreateDirectory(dir);
        return dir;
    }
}
