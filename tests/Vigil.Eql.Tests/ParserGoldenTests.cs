using Vigil.Eql.Syntax;

namespace Vigil.Eql.Tests;

public sealed class ParserGoldenTests
{
    [Fact]
    public void Parse_ValidQueries_PrintExpectedTrees() =>
        GoldenFile.Check("parse.txt", q => Printer.Print(Eql.Check(q)));

    [Fact]
    public void Parse_InvalidQueries_RenderPositionedDiagnostics() =>
        GoldenFile.Check("diagnostics.txt", q =>
        {
            try
            {
                Eql.Compile(q);
                return "NO ERROR";
            }
            catch (EqlException ex)
            {
                return ex.Diagnostic.Render(q, "query.eql");
            }
        });

    [Fact]
    public void Print_ThenParse_GivesTheSameTree()
    {
        foreach (var c in GoldenFile.Read("parse.txt"))
        {
            var printed = Printer.Print(Eql.Parse(c.Input));
            Assert.Equal(printed, Printer.Print(Eql.Parse(printed)));
        }
    }

    [Fact]
    public void Render_InRuleFile_ShiftsLineAndFirstLineColumn()
    {
        var q = "process where\n  lenght(x) > 1";
        var ex = Assert.Throws<EqlException>(() => Eql.Compile(q));
        var text = ex.Diagnostic.Render(q, "rules/r.toml", lineShift: 40, firstLineColumnShift: 9);
        Assert.StartsWith("rules/r.toml(42,3): error EQL0203: unknown function 'lenght'", text, StringComparison.Ordinal);
        Assert.EndsWith("\n    lenght(x) > 1\n    ^^^^^^", text, StringComparison.Ordinal);
    }
}
