namespace Vigil.Cli.Tests;

public sealed class EqlCommandTests
{
    private static string Sample => Path.Combine(CliRunner.RepoRoot, "samples", "cloud_defend-process.ndjson");

    [Fact]
    public void Eql_InputThatCannotBeOpened_ExitsOne()
    {
        var missing = Path.Combine(CliRunner.TempDir(), "nonexist.ndjson");
        foreach (var input in new[] { missing, Path.GetTempPath() })
        {
            var r = CliRunner.Run("eql", "any where true", input);
            Assert.Contains("error VIG0001: cannot open input", r.Stderr, StringComparison.Ordinal);
            Assert.Equal(1, r.ExitCode);
        }
    }

    [Fact]
    public void Eql_NegativeSize_IsAUsageError()
    {
        var r = CliRunner.Run("eql", "--size", "-5", "any where true", Sample);
        Assert.Equal(2, r.ExitCode);
        Assert.Empty(r.Stdout);
        Assert.Contains("--size", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Eql_Format_IsLowerCaseAsInTheOtherCommands()
    {
        var help = CliRunner.Run("eql", "--help").Stdout;
        Assert.Contains("--format <ndjson|table>", help, StringComparison.Ordinal);
        Assert.DoesNotContain("Ndjson", help, StringComparison.Ordinal);
        var r = CliRunner.Run("eql", "--format", "table", "--size", "1", "process where true", Sample);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(2, CliRunner.Run("eql", "--format", "xml", "any where true", Sample).ExitCode);
    }
}
