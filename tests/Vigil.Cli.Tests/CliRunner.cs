namespace Vigil.Cli.Tests;

/// <summary>Runs the vigil command in-process and captures its output.</summary>
internal static class CliRunner
{
    /// <summary>
    /// Commands keep alerts in the alert store by default; tests must never write to the user's own store, so the default
    /// store of this process (and of the vigil processes it starts, which inherit the environment) is a temporary one.
    /// </summary>
    static CliRunner() => Environment.SetEnvironmentVariable("VIGIL_HOME", TestHome);

    public static string TestHome { get; } = Path.Combine(Path.GetTempPath(), "vigil-cli-tests", "home-" + Guid.NewGuid().ToString("N"));

    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = Program.Run(args, stdout, stderr);
        return new Result(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The repository root (where Vigil.slnx is).</summary>
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Vigil.slnx")))
            {
                dir = dir.Parent;
            }
            return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
        }
    }

    public static string TempDir()
    {
        var path = Path.Combine(Path.GetTempPath(), "vigil-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}
