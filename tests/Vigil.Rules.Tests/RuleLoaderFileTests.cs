namespace Vigil.Rules.Tests;

public sealed class RuleLoaderFileTests
{
    private static string Valid => RuleText.Valid;

    public static TheoryData<string, string, int, int, string> BrokenToml => new()
    {
        // what, text, line, column, message fragment
        { "unclosed string", RuleText.With((RuleText.Name, "name = \"Test Rule")), 13, 18, "Invalid newline in a string" },
        { "duplicate key", RuleText.With((RuleText.Index, "name = \"Again\"")), 13, 1, "already defined at (10,1)" },
        { "duplicate table", RuleText.Append("[rule]", "note = \"x\""), 21, 1, "already defined" },
        { "truncated in the query", Valid[..Valid.IndexOf("process.name", StringComparison.Ordinal)], 19, 14, "End-Of-File" },
        { "truncated in a table header", Valid[..Valid.IndexOf("[rule]", StringComparison.Ordinal)] + "[rule", 6, 6, "expecting `]`" },
        { "unclosed array", RuleText.With((RuleText.Index, "index = [\"logs-*\",")), 11, 1, "Unexpected token" },
    };

    [Theory]
    [MemberData(nameof(BrokenToml))]
    public void Load_BrokenToml_GivesOnePositionedError(string what, string text, int line, int column, string fragment)
    {
        var result = RuleLoader.LoadString(text, "broken.toml");

        var error = Assert.Single(result.Diagnostics);
        Assert.True(error.Code == RuleDiagnosticCodes.TomlSyntax, what);
        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
        Assert.StartsWith($"broken.toml({line},{column}): error RULE001: ", error.Render(), StringComparison.Ordinal);
        Assert.Equal(1, result.InvalidCount);
        Assert.Empty(result.Rules);
    }

    [Fact]
    public void LoadDirectory_BadFiles_DoNotStopTheOthers()
    {
        using var dir = new TempDir();
        dir.Write("a_good.toml", RuleText.With((RuleText.RuleId, "rule_id = \"00000000-0000-4000-8000-00000000000a\"")));
        dir.Write("b_unclosed.toml", RuleText.With((RuleText.Name, "name = \"Test Rule")));
        dir.Write("c_duplicate_key.toml", RuleText.With((RuleText.Index, "name = \"Again\"")));
        dir.Write("d_truncated.toml", Valid[..Valid.IndexOf("process.name", StringComparison.Ordinal)]);
        dir.Write("nested/deeper/e_good.toml", RuleText.With((RuleText.RuleId, "rule_id = \"00000000-0000-4000-8000-00000000000e\"")));
        dir.Write("f_bad_schema.toml", RuleText.With((RuleText.Severity, "severity = \"extreme\"")));
        dir.Write("notes.txt", "not a rule");

        var result = RuleLoader.LoadDirectory(dir.Path);

        Assert.Equal(6, result.FileCount);
        Assert.Equal(4, result.InvalidCount);
        Assert.Equal(
            ["00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000e"],
            result.Rules.Select(r => r.Rule.RuleId).ToArray());
        Assert.Equal(
            ["b_unclosed.toml", "c_duplicate_key.toml", "d_truncated.toml", "f_bad_schema.toml"],
            result.Errors.Select(e => Path.GetFileName(e.File!)).ToArray());
        Assert.All(result.Errors, e => Assert.StartsWith(dir.Path, e.File!, StringComparison.Ordinal));
        Assert.Equal("rules: 2 loaded, 4 invalid; eql: 2 compiled, 0 failed; other types: 0", result.Summary.ToString());
    }

    [Fact]
    public void Load_FileAndMissingPath_ReportsTheMissingOne()
    {
        using var dir = new TempDir();
        var file = dir.Write("one.toml", Valid);
        var missing = Path.Combine(dir.Path, "nope");

        var result = RuleLoader.Load([file, missing]);

        Assert.Single(result.Rules);
        var error = Assert.Single(result.Errors);
        Assert.Equal(RuleDiagnosticCodes.ReadFailed, error.Code);
        Assert.Equal(missing, error.File);
        Assert.Equal(2, result.FileCount);
        Assert.Equal(1, result.InvalidCount);
    }

    [Fact]
    public void LoadFile_KeepsThePathInSource()
    {
        using var dir = new TempDir();
        var file = dir.Write("one.toml", Valid);

        var rule = Assert.Single(RuleLoader.LoadFile(file).Rules).Rule;

        Assert.Equal(file, rule.Source.Path);
    }

    [Fact]
    public void Load_DuplicateRuleId_DropsTheLaterRule()
    {
        using var dir = new TempDir();
        dir.Write("a.toml", Valid);
        dir.Write("b.toml", RuleText.With((RuleText.Name, "name = \"Copy\"")));

        var result = RuleLoader.LoadDirectory(dir.Path);

        var kept = Assert.Single(result.Rules);
        Assert.Equal("Test Rule", kept.Rule.Name);
        var error = Assert.Single(result.Errors);
        Assert.Equal(RuleDiagnosticCodes.DuplicateRuleId, error.Code);
        Assert.EndsWith("b.toml", error.File, StringComparison.Ordinal);
        Assert.Equal((RuleText.RuleId, 11), (error.Line, error.Column));
        Assert.Contains("'Test Rule'", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, result.InvalidCount);
    }

    [Fact]
    public void Combine_BuiltInAndUserRules_RejectsARuleIdTakenByTheBuiltInPack()
    {
        var user = RuleLoader.LoadString(
            RuleText.With((RuleText.RuleId, "rule_id = \"527d23e6-8b67-4a8e-a6bd-5169b90ab2a8\"")), "mine.toml");

        var combined = RuleLoadResult.Combine([BuiltInRules.Load(), user]);

        Assert.Single(combined.Rules);
        Assert.Equal(RuleDiagnosticCodes.DuplicateRuleId, Assert.Single(combined.Errors).Code);
        Assert.Equal(2, combined.FileCount);
        Assert.Equal(1, combined.InvalidCount);
    }

    [Fact]
    public void Load_QueryLiteral_KeepsBackslashesAsWritten()
    {
        var text = RuleText.With((RuleText.QueryBody, """process where process.executable : "C:\\Windows\\*" and process.name == "a\tb" """));

        var rule = Assert.Single(RuleLoader.LoadString(text).Rules).Rule;

        // A TOML literal string has no escapes: EQL receives the two backslashes and the backslash-t as written.
        Assert.Equal("""process where process.executable : "C:\\Windows\\*" and process.name == "a\tb" """ + "\n", rule.Query);
        Assert.Contains(@"C:\\Windows\\*", rule.Query, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_QueryLiteral_DropsOnlyTheFirstNewline()
    {
        var text = RuleText.With((RuleText.QueryOpen, "query = '''"), (RuleText.QueryBody, "\nprocess where true"));

        var rule = Assert.Single(RuleLoader.LoadString(text).Rules).Rule;

        Assert.Equal("\nprocess where true\n", rule.Query);
        Assert.Equal((RuleText.QueryBody, 1), (rule.Source.QueryLine, rule.Source.QueryColumn));
    }

    [Fact]
    public void Load_BasicMultilineStrings_ApplyTomlEscapes()
    {
        var text = RuleText.With((RuleText.Description, "description = \"\"\"\nline one\\tTabbed \\\n   joined\"\"\""));

        var rule = Assert.Single(RuleLoader.LoadString(text).Rules).Rule;

        Assert.Equal("line one\tTabbed joined", rule.Description);
    }

    [Fact]
    public void Load_CrLfFile_Loads()
    {
        var text = Valid.Replace("\n", "\r\n", StringComparison.Ordinal);

        var result = RuleLoader.LoadString(text);

        Assert.Empty(result.Diagnostics);
        Assert.Equal((RuleText.QueryBody, 1), (result.Rules[0].Rule.Source.QueryLine, result.Rules[0].Rule.Source.QueryColumn));
    }

    [Fact]
    public void Load_IntegrationAsStringOrList_BecomesAList()
    {
        var asString = RuleLoader.LoadString(RuleText.With((RuleText.Blank, "integration = \"cloud_defend\"")));
        var asList = RuleLoader.LoadString(RuleText.With((RuleText.Blank, "integration = [\"endpoint\", \"windows\"]")));

        Assert.Equal(new[] { "cloud_defend" }, asString.Rules[0].Rule.Metadata.Integration.ToArray());
        Assert.Equal("cloud_defend", asString.Rules[0].Rule.Metadata.Raw["integration"]);
        Assert.Equal(new[] { "endpoint", "windows" }, asList.Rules[0].Rule.Metadata.Integration.ToArray());
        Assert.IsAssignableFrom<IReadOnlyList<object?>>(asList.Rules[0].Rule.Metadata.Raw["integration"]);
    }
}
