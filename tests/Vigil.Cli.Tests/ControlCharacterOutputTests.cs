namespace Vigil.Cli.Tests;

/// <summary>Diagnostics quote input; an input line must not be able to send terminal escapes through them.</summary>
public sealed class ControlCharacterOutputTests
{
    private const string Hostile = "nul\u001b]0;pwned\u0007";

    private static string HostileInput()
    {
        var path = Path.Combine(CliRunner.TempDir(), "hostile.ndjson");
        File.WriteAllText(path, Hostile + "\n");
        return path;
    }

    private static void AssertNoControlCharacters(string text)
    {
        var bad = text.Where(c => (c < 0x20 && c is not '\n' and not '\r' and not '\t') || (c >= 0x7F && c <= 0x9F)).ToList();
        Assert.True(bad.Count == 0, $"control characters {string.Join(' ', bad.Select(c => ((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture)))} in: {text}");
    }

    [Fact]
    public void Scan_MalformedLine_IsQuotedWithEscapes()
    {
        var r = CliRunner.Run("scan", "--no-store", "--strict", "--format", "ndjson", HostileInput());
        Assert.Equal(1, r.ExitCode);
        AssertNoControlCharacters(r.Stderr);
        Assert.Contains("error VIG0001: malformed JSON", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("nul\\x1b]0;pwned\\x07", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Eql_MalformedLine_IsQuotedWithEscapes()
    {
        var r = CliRunner.Run("eql", "any where true", HostileInput());
        AssertNoControlCharacters(r.Stderr);
        Assert.Contains("nul\\x1b]0;pwned\\x07", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Exceptions_Errors_EchoTheLineWithEscapes_AndTheCaretStaysUnderTheFault()
    {
        var path = Path.Combine(CliRunner.TempDir(), "x.ndjson");
        File.WriteAllText(path,
            "{\"list_id\":\"l\",\"name\":\"a\u001b[2J\",\"rule_ids\":[\"*\"],\"entries\":[{\"field\":\"a\",\"operator\":\"included\",\"type\":\"exists\"}]}\n" +
            "{\"list_id\":\"l\",\"name\":\"n\",\"rule_ids\":[\"*\"],\"entries\":[{\"field\":\"a\",\"operator\":\"is\\u0007\",\"type\":\"match\",\"value\":\"x\"}]}\n");
        var r = CliRunner.Run("scan", "--no-store", "--format", "ndjson", "--exceptions", path, Path.Combine(CliRunner.RepoRoot, "samples", "cloud_defend-process.ndjson"));
        Assert.Equal(1, r.ExitCode);
        AssertNoControlCharacters(r.Stderr);
        var lines = r.Stderr.Split('\n');

        // A raw ESC is not valid JSON: the echoed line shows it escaped, with the caret under it.
        var syntax = Array.FindIndex(lines, l => l.Contains("x.ndjson(1,25): error EXC001", StringComparison.Ordinal));
        Assert.True(syntax >= 0, r.Stderr);
        Assert.Contains("\"name\":\"a\\x1b[2J\"", lines[syntax + 1], StringComparison.Ordinal);
        Assert.Equal(lines[syntax + 1].IndexOf("\\x1b", StringComparison.Ordinal), lines[syntax + 2].IndexOf('^', StringComparison.Ordinal));

        // A control character written as a JSON escape is quoted in the message, escaped.
        var invalid = Array.FindIndex(lines, l => l.Contains("x.ndjson(2,", StringComparison.Ordinal) && l.Contains("error EXC012", StringComparison.Ordinal));
        Assert.True(invalid >= 0, r.Stderr);
        Assert.Contains("unknown operator \"is\\x07\"", lines[invalid], StringComparison.Ordinal);
    }
}
