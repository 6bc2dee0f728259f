using Vigil.Rules;

namespace Vigil.Cli.Commands;

/// <summary>Loads the rules a command runs: the paths given, or the built-in pack when none are.</summary>
internal static class RuleSources
{
    public static RuleLoadResult Load(IReadOnlyList<string>? paths, TextWriter stderr)
    {
        // The same directory given twice would load (and report) every rule twice.
        var distinct = paths?.Select(p => Path.GetFullPath(p)).Distinct(StringComparer.Ordinal).ToList();
        var result = distinct is { Count: > 0 } ? RuleLoader.Load(distinct) : BuiltInRules.Load();
        foreach (var d in result.Diagnostics)
        {
            stderr.WriteLine(d.Render());
        }
        return result;
    }
}
