using System.Collections.Immutable;
using System.Globalization;

namespace Vigil.Rules;

/// <summary>The counts <c>vigil rules validate</c> prints.</summary>
/// <param name="Files">Rule files (or strings) read.</param>
/// <param name="Loaded">Rules loaded without error: they passed schema validation and, for EQL rules, their query compiled.</param>
/// <param name="Invalid">Files that gave no usable rule: unreadable, not TOML, failing the schema, a duplicate <c>rule_id</c>, or an
/// EQL query that does not compile (those are counted again under <see cref="EqlFailed"/>). Loaded and invalid add up to the files.</param>
/// <param name="EqlCompiled">Loaded EQL rules whose query compiled (or passed the checks and compiles on use).</param>
/// <param name="EqlFailed">Loaded EQL rules whose query did not compile.</param>
/// <param name="OtherTypes">Loaded rules of other types (KQL, ES|QL, ML, threshold, new_terms, threat_match): valid, not executable.</param>
/// <param name="Errors">Error diagnostics.</param>
/// <param name="Warnings">Warning diagnostics.</param>
public sealed record RuleValidationSummary(int Files, int Loaded, int Invalid, int EqlCompiled, int EqlFailed, int OtherTypes, int Errors, int Warnings)
{
    /// <summary>Loaded rules by <c>type</c>.</summary>
    public ImmutableSortedDictionary<RuleType, int> ByType { get; init; } = ImmutableSortedDictionary<RuleType, int>.Empty;

    /// <summary>Counts a load result.</summary>
    public static RuleValidationSummary From(RuleLoadResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var rules = result.Rules;
        var eqlFailed = rules.Count(r => r.IsEql && r.QueryError is not null);
        return new RuleValidationSummary(
            result.FileCount,
            rules.Length - eqlFailed,
            result.InvalidCount + eqlFailed,
            rules.Count(r => r.IsEql && r.IsExecutable),
            eqlFailed,
            rules.Count(r => !r.IsEql),
            result.Diagnostics.Count(d => d.IsError),
            result.Diagnostics.Count(d => !d.IsError))
        {
            ByType = rules.GroupBy(r => r.Rule.Type).ToImmutableSortedDictionary(g => g.Key, g => g.Count()),
        };
    }

    /// <summary><c>rules: N loaded, N invalid; eql: N compiled, N failed; other types: N</c></summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"rules: {Loaded} loaded, {Invalid} invalid; eql: {EqlCompiled} compiled, {EqlFailed} failed; other types: {OtherTypes}");
}
