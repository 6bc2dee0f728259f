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

    [CorpusFact]
    public void Corpus_EqlRules_Compile()
    {
        var root = Conformance.DetectionRulesRoot!;
        var result = RuleLoader.Load([Path.Combine(root, "rules"), Path.Combine(root, "rules_building_block")]);
        var deviations = KnownEqlDeviations();

        var failures = result.Rules.Where(r => r.QueryError is not null).ToList();
        var unexpected = failures.Where(r => !deviations.ContainsKey(Relative(root, r.Rule.Source.Path!))).ToList();
        var fixedAgain = deviations.Keys.Except(failures.Select(r => Relative(root, r.Rule.Source.Path!))).ToList();
        foreach (var failure in unexpected)
        {
            output.WriteLine(failure.QueryError!.Render());
        }
        foreach (var path in fixedAgain)
        {
            output.WriteLine($"compiles now, remove from eql-deviations.txt: {path}");
        }
        var summary = result.Summary;
        output.WriteLine(summary.ToString());
        output.WriteLine($"known deviations: {deviations.Count}, failing: {failures.Count}, unexpected: {unexpected.Count}");
        foreach (var (type, count) in summary.ByType)
        {
            output.WriteLine($"  {type.ToWireName()}: {count}");
        }

        Assert.Equal(CorpusFiles, summary.Loaded);
        Assert.Equal(1081, summary.EqlCompiled + summary.EqlFailed);
        Assert.Equal(CorpusFiles - 1081, summary.OtherTypes);
        Assert.Empty(unexpected.Select(r => r.QueryError!.ToString()));
        Assert.Equal(result.Errors.Count(), failures.Count);
    }

    private static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace('\\', '/');

    private static Dictionary<string, string> KnownEqlDeviations()
    {
        var file = Path.Combine(AppContext.BaseDirectory, "eql-deviations.txt");
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(file))
        {
            var text = line.Trim();
            if (text.Length == 0 || text.StartsWith('#'))
            {
                continue;
            }
            var hash = text.IndexOf('#', StringComparison.Ordinal);
            var path = (hash < 0 ? text : text[..hash]).Trim();
            result[path] = hash < 0 ? string.Empty : text[(hash + 1)..].Trim();
        }
        return result;
    }
}
