using Xunit.Abstractions;

namespace Vigil.Rules.Tests;

/// <summary>The public rules repository must load unchanged (ARCHITECTURE.md: "A checkout of the public rules repository must load without edits").</summary>
public sealed class CorpusTests(ITestOutputHelper output)
{
    private const int CorpusFiles = 2192;

    [CorpusFact]
    public void Corpus_LoadsEveryFile_WithoutSchemaErrors()
    {
        var root = Conformance.DetectionRulesRoot!;
        var result = RuleLoader.Load(
            [Path.Combine(root, "rules"), Path.Combine(root, "rules_building_block")],
            new RuleLoaderOptions { CompileEql = false });

        foreach (var d in result.Diagnostics.Take(50))
        {
            output.WriteLine(d.Render());
        }
        output.WriteLine(result.Summary.ToString());
        output.WriteLine($"warnings: {result.Warnings.Count()}");

        Assert.Equal(CorpusFiles, result.FileCount);
        Assert.Empty(result.Errors);
        Assert.Equal(CorpusFiles, result.Rules.Length);
        Assert.Equal(0, result.InvalidCount);
    }
}
