namespace Vigil.Eql.Tests;

/// <summary>Syntax that Elasticsearch accepts and the public rules use.</summary>
public sealed class CorpusSyntaxTests
{
    [Theory]
    [InlineData("any where stringContains (s, \"lo W\")", true)]
    [InlineData("any where startsWith (s, \"Hello\")", true)]
    [InlineData("any where startsWith~ (s, \"hello\")", true)]
    [InlineData("any where not stringContains (s, \"xyz\")", true)]
    public void FunctionCall_WithBlankBeforeParenthesis_IsACall(string query, bool expected) =>
        Assert.Equal(expected, TestEvent.Matches(query, """{"s":"Hello World"}"""));

    [Theory]
    [InlineData("""a\_b""", "a_b", true)]
    [InlineData("""a\_b""", "a\\_b", false)]
    [InlineData("""\/tmp\/x""", "/tmp/x", true)]
    [InlineData("""a\-b""", "a-b", true)]
    [InlineData("""\.exe""", ".exe", true)]
    [InlineData("""\.exe""", "xexe", false)]
    [InlineData("""[a\_]+""", "a_a", true)]
    [InlineData("""\d+""", "123", true)]
    [InlineData("""[a\-c]+""", "a-c", true)]
    [InlineData("^apt$", "apt", false)]
    [InlineData("^apt$", "^apt$", true)]
    [InlineData("[^a]b", "xb", true)]
    [InlineData("[]a]+", "]a", true)]
    [InlineData("""[a\-c]+""", "b", false)]
    [InlineData("""[a-z0-9_\-\.]{2}""", "-.", true)]
    public void Regex_LuceneEscapes_AreLiteralCharacters(string pattern, string value, bool expected) =>
        Assert.Equal(expected, TestEvent.Matches($"any where s regex \"{pattern.Replace("\\", "\\\\", StringComparison.Ordinal)}\"", $$"""{"s":"{{value.Replace("\\", "\\\\", StringComparison.Ordinal)}}"}"""));
}
