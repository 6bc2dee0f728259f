namespace Vigil.Rules.Tests;

public sealed class RobustnessTests
{
    [Fact]
    public void Load_EveryTruncation_GivesPositionedDiagnosticsAndNeverThrows()
    {
        var text = BuiltInRules.ReadText(BuiltInRules.SourceNames[0]);
        var lineCount = text.Split('\n').Length;

        for (var length = 0; length < text.Length; length += 13)
        {
            var result = RuleLoader.LoadString(text[..length], "cut.toml", new RuleLoaderOptions { CompileEql = false });

            Assert.True(result.Rules.Length == 1 || result.HasErrors, $"cut at {length}: neither a rule nor an error");
            Assert.All(result.Diagnostics, d =>
            {
                Assert.InRange(d.Line, 1, lineCount);
                Assert.True(d.Column >= 1, $"cut at {length}: {d}");
                Assert.Equal("cut.toml", d.File);
            });
        }
    }

    [Theory]
    [InlineData("rule = \"not a table\"\n[metadata]\ncreation_date = \"2024/01/01\"\nupdated_date = \"2024/01/01\"\n", "RULE011")]
    [InlineData("[[rule]]\nname = \"x\"\n[metadata]\ncreation_date = \"2024/01/01\"\nupdated_date = \"2024/01/01\"\n", "RULE011")]
    [InlineData("metadata = 3\n[rule]\n", "RULE011")]
    [InlineData("", "RULE003")]
    [InlineData("\uFEFF", "RULE003")]
    public void Load_OddShapes_AreErrorsNotCrashes(string text, string code)
    {
        var result = RuleLoader.LoadString(text);

        Assert.Contains(result.Errors, e => e.Code == code);
        Assert.Empty(result.Rules);
    }

    [Fact]
    public void Load_RuleAsInlineTableAndDottedKeys_IsTheSameRule()
    {
        var text = """
            metadata = { creation_date = "2024/01/01", updated_date = "2024/01/02" }
            rule.author = ["Vigil"]
            rule.description = "d"
            rule.name = "Inline"
            rule.risk_score = 1
            rule.rule_id = "00000000-0000-4000-8000-000000000001"
            rule.severity = "low"
            rule.type = "eql"
            rule.language = "eql"
            rule.query = "process where true"
            """;

        var result = RuleLoader.LoadString(text);

        Assert.Empty(result.Diagnostics);
        var rule = Assert.Single(result.Rules).Rule;
        Assert.Equal("Inline", rule.Name);
        // A one-line basic string starts right after its quote.
        Assert.Equal((10, 15), (rule.Source.QueryLine, rule.Source.QueryColumn));
    }
}
