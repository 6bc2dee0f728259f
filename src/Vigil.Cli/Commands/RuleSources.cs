using Vigil.Rules;

namespace Vigil.Cli.Commands;

/// <summary>Loads the rules a command runs: the paths given, or the built-in pack when none are.</summary>
internal static class RuleSources
{
    public static RuleLoadResult Load(IReadOnlyList<string>? paths, TextWriter stderr)
    {
        var result = paths is { Count: > 0 } ? RuleLoader.Load(paths) : BuiltInRules.Load();
        foreach (var d in result.Diagnostics)
        {
            stderr.WriteLine(d.Render());
        }
        return result;
    }
}
