using System.CommandLine;
using Vigil.Detection;
using Vigil.Rules;

namespace Vigil.Cli.Commands;

/// <summary>
/// Loads the exceptions a scan applies: the <c>--exceptions</c> files and folders, and the <c>exceptions</c> folder beside
/// each <c>--rules</c> folder (the layout of detection-rules' custom rules: <c>rules/</c> and <c>exceptions/</c> side by side).
/// </summary>
internal static class ExceptionSources
{
    /// <summary>The <c>--exceptions</c> option shared by <c>scan</c> and <c>watch</c>.</summary>
    public static Option<string[]> CreateOption() => new("--exceptions")
    {
        Description = "Exception list file (Kibana export NDJSON/JSON, or detection-rules TOML) or folder of them (repeatable). An 'exceptions' folder beside a --rules folder is loaded too.",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public static ExceptionSet Load(IReadOnlyList<string>? exceptionPaths, IReadOnlyList<string>? rulePaths, TextWriter stderr)
    {
        var paths = new List<string>(exceptionPaths ?? []);
        foreach (var rules in rulePaths ?? [])
        {
            if (!Directory.Exists(rules))
            {
                continue;
            }
            var parent = Path.GetDirectoryName(Path.GetFullPath(rules).TrimEnd(Path.DirectorySeparatorChar));
            var beside = parent is null ? null : Path.Combine(parent, "exceptions");
            if (beside is not null && Directory.Exists(beside) && !paths.Any(p => SameDirectory(p, beside)))
            {
                stderr.WriteLine($"vigil: loading exceptions from {beside} (beside --rules {rules})");
                paths.Add(beside);
            }
        }
        if (paths.Count == 0)
        {
            return ExceptionSet.Empty;
        }
        var set = ExceptionLoader.Load(paths.Distinct(StringComparer.Ordinal));
        foreach (var d in set.Diagnostics)
        {
            stderr.WriteLine(d.Render());
        }
        return set;
    }

    /// <summary>Warns about <c>rule_ids</c> naming no loaded rule and items that apply to no rule, then says what applies.</summary>
    public static void Report(ExceptionSet set, DetectionEngine engine, IEnumerable<DetectionRule> loaded, TextWriter stderr)
    {
        if (set.Items.IsEmpty && set.Lists.IsEmpty)
        {
            return;
        }
        var rules = loaded.ToList();
        var active = engine.Rules.Concat(engine.SequenceRules).ToList();
        var known = rules.Select(r => r.RuleId).Concat(active.Select(a => a.Uuid)).ToHashSet(StringComparer.Ordinal);
        foreach (var (ruleId, source) in set.NamedRuleIds().Where(p => !known.Contains(p.RuleId)).DistinctBy(p => p.RuleId))
        {
            stderr.WriteLine(Warning(source, ExceptionDiagnosticCodes.UnknownRule, $"rule_ids names '{ruleId}', which is not a loaded rule"));
        }
        var used = new HashSet<ExceptionItem>();
        foreach (var rule in rules)
        {
            used.UnionWith(set.ItemsFor(rule, active.FirstOrDefault(a => ReferenceEquals(a.Rule, rule))?.Uuid));
        }
        foreach (var item in set.Items.Where(i => !used.Contains(i)))
        {
            stderr.WriteLine(Warning(item.Source, ExceptionDiagnosticCodes.Unattached, $"exception item {item.DisplayName} applies to no loaded rule (give rule_ids, or reference list '{item.ListId}' from a rule's exceptions_list)"));
        }
        var attached = active.Count(a => set.ItemsFor(a.Rule, a.Uuid).Count > 0);
        stderr.WriteLine($"exceptions: {set.Items.Length} items from {set.FileCount} files, applied to {attached} rules");
    }

    /// <summary>One line per rule whose events exceptions removed.</summary>
    public static void ReportExcepted(DetectionEngine engine, TextWriter stderr)
    {
        foreach (var rule in engine.Rules.Concat(engine.SequenceRules).Where(r => r.ExceptedEvents > 0))
        {
            stderr.WriteLine($"exceptions: rule '{rule.Rule.Name}' ({rule.Rule.RuleId}): {rule.ExceptedEvents} events excepted");
        }
    }

    /// <summary>Rendered as every diagnostic is, so names and ids quoted from the file cannot carry terminal escapes.</summary>
    private static string Warning(ExceptionSource source, string code, string message) =>
        new RuleDiagnostic(source.File, source.Line, source.Column, code, message, RuleDiagnosticSeverity.Warning).Render();

    private static bool SameDirectory(string a, string b) =>
        string.Equals(Path.GetFullPath(a).TrimEnd(Path.DirectorySeparatorChar), Path.GetFullPath(b).TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal);
}
