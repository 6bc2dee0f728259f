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

/// <summary>Hostile queries: deep nesting is an error, long chains still work.</summary>
public sealed class QueryLimitTests
{
    [Theory]
    [InlineData(5000, "(", ")")]
    [InlineData(50000, "not ", "")]
    [InlineData(5000, "-", "")]
    [InlineData(5000, "length(", ")")]
    public void DeepNesting_IsAPositionedError_NotACrash(int depth, string open, string close)
    {
        var q = "process where " + string.Concat(Enumerable.Repeat(open, depth)) + "true" + string.Concat(Enumerable.Repeat(close, depth));
        var ex = Assert.Throws<EqlException>(() => Eql.Compile(q));
        Assert.Equal("EQL0107", ex.Diagnostic.Code);
        Assert.Equal(1, ex.Diagnostic.Line);
    }

    [Fact]
    public void NestingWithinTheLimit_Compiles()
    {
        var q = "process where " + new string('(', 90) + "x == 1" + new string(')', 90);
        Assert.True(TestEvent.Matches(q, """{"event":{"category":"process"},"x":1}"""));
    }

    [Theory]
    [InlineData(" or ", 50_000, true)]
    [InlineData(" and ", 50_000, false)]
    public void LongLogicalChains_CompileAndEvaluate(string op, int terms, bool expected)
    {
        var parts = Enumerable.Range(0, terms).Select(i => $"x == {i}");
        var q = "any where " + string.Join(op, parts);
        Assert.Equal(expected, TestEvent.Matches(q, $$"""{"x":{{terms - 1}}}"""));
    }

    [Fact]
    public void LongArithmeticChains_AreRejected()
    {
        var q = "any where x == " + string.Join(" + ", Enumerable.Repeat("1", 5000));
        Assert.Equal("EQL0108", Assert.Throws<EqlException>(() => Eql.Compile(q)).Diagnostic.Code);
    }
}
