namespace Vigil.Rules.Tests;

public sealed class RuleDirectoryHazardTests
{
    private static string NewDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "vigil-rule-hazards", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    [Fact]
    public void SymlinkLoop_IsNotFollowed()
    {
        var dir = NewDir();
        File.WriteAllText(Path.Combine(dir, "builtin.toml"), BuiltInRules.ReadText(BuiltInRules.SourceNames[0]));
        Directory.CreateSymbolicLink(Path.Combine(dir, "loop"), dir);
        var result = RuleLoader.Load(dir);
        Assert.Single(result.Rules);
        Assert.False(result.HasErrors, string.Join("\n", result.Errors.Select(e => e.Render())));
    }

    [Fact]
    public void FifoNamedToml_IsReportedInsteadOfHanging()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        var dir = NewDir();
        File.WriteAllText(Path.Combine(dir, "good.toml"), BuiltInRules.ReadText(BuiltInRules.SourceNames[0]));
        var fifo = Path.Combine(dir, "pipe.toml");
        using (var mk = System.Diagnostics.Process.Start("mkfifo", fifo))
        {
            mk.WaitForExit();
            if (mk.ExitCode != 0)
            {
                return;
            }
        }
        // The file type is checked before opening: no thread is left blocked on the FIFO, and no ten-second wait.
        var started = System.Diagnostics.Stopwatch.StartNew();
        var result = RuleLoader.Load(dir);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), started.Elapsed.ToString());
        Assert.Single(result.Rules);
        var error = Assert.Single(result.Errors);
        Assert.Contains("FIFO", error.Message, StringComparison.Ordinal);
    }
}
