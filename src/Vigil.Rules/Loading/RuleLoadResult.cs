using System.Collections.Immutable;

namespace Vigil.Rules;

/// <summary>What a load produced: the rules that passed validation and every problem found in every file.</summary>
public sealed class RuleLoadResult
{
    internal RuleLoadResult(ImmutableArray<LoadedRule> rules, ImmutableArray<RuleDiagnostic> diagnostics, int fileCount, int invalidCount)
    {
        Rules = rules;
        Diagnostics = diagnostics;
        FileCount = fileCount;
        InvalidCount = invalidCount;
        Summary = RuleValidationSummary.From(this);
    }

    /// <summary>Rules that passed schema validation, in file order (including EQL rules whose query failed to compile).</summary>
    public ImmutableArray<LoadedRule> Rules { get; }

    /// <summary>Every error and warning, in file order.</summary>
    public ImmutableArray<RuleDiagnostic> Diagnostics { get; }

    /// <summary>Rule files (or strings) read.</summary>
    public int FileCount { get; }

    /// <summary>Files that did not give a rule: unreadable, not TOML, or failing schema validation.</summary>
    public int InvalidCount { get; }

    /// <summary>The counts <c>vigil rules validate</c> prints.</summary>
    public RuleValidationSummary Summary { get; }

    /// <summary>The errors among <see cref="Diagnostics"/>.</summary>
    public IEnumerable<RuleDiagnostic> Errors => Diagnostics.Where(d => d.IsError);

    /// <summary>The warnings among <see cref="Diagnostics"/>.</summary>
    public IEnumerable<RuleDiagnostic> Warnings => Diagnostics.Where(d => !d.IsError);

    /// <summary>Whether any error was reported (a CLI exits non-zero then).</summary>
    public bool HasErrors => Diagnostics.Any(d => d.IsError);

    /// <summary>The rules Vigil can run (EQL rules whose query compiled).</summary>
    public IEnumerable<LoadedRule> Executable => Rules.Where(r => r.IsExecutable);

    /// <summary>A <see cref="RuleSet"/> over <see cref="Rules"/>.</summary>
    public RuleSet ToRuleSet() => new(Rules);

    /// <summary>
    /// Joins several results (for example the built-in pack and a user's directory) into one. With
    /// <paramref name="rejectDuplicateRuleIds"/>, a rule whose <c>rule_id</c> was already loaded by an earlier
    /// result is dropped and reported as an error at its <c>rule_id</c>.
    /// </summary>
    public static RuleLoadResult Combine(IEnumerable<RuleLoadResult> results, bool rejectDuplicateRuleIds = true)
    {
        ArgumentNullException.ThrowIfNull(results);
        var all = results.ToList();
        var rules = all.SelectMany(r => r.Rules).ToList();
        var diagnostics = all.SelectMany(r => r.Diagnostics).ToList();
        var invalid = all.Sum(r => r.InvalidCount);
        if (rejectDuplicateRuleIds)
        {
            invalid += RuleLoader.DropDuplicates(rules, diagnostics);
        }
        return new RuleLoadResult([.. rules], [.. diagnostics], all.Sum(r => r.FileCount), invalid);
    }
}
