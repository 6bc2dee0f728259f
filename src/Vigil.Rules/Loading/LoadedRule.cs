using Vigil.Eql;

namespace Vigil.Rules;

/// <summary>A rule that passed schema validation, with its compiled query when it has one.</summary>
public sealed class LoadedRule
{
    internal LoadedRule(DetectionRule rule, CompiledQuery? query, RuleDiagnostic? queryError)
    {
        Rule = rule;
        Query = query;
        QueryError = queryError;
    }

    /// <summary>Where <c>rule_id</c> is written (line, column, excerpt), so a later duplicate can point at it.</summary>
    internal (int Line, int Column, string Excerpt) RuleIdLocation { get; init; }

    /// <summary>The rule.</summary>
    public DetectionRule Rule { get; }

    /// <summary>
    /// The compiled EQL query; <see langword="null"/> for rules of other types, when compilation was turned off,
    /// or when the query did not compile (see <see cref="QueryError"/>).
    /// </summary>
    public CompiledQuery? Query { get; }

    /// <summary>Why an EQL query did not compile, positioned in the rule file; <see langword="null"/> otherwise.</summary>
    public RuleDiagnostic? QueryError { get; }

    /// <summary>Whether this is an EQL rule (<c>type = "eql"</c>).</summary>
    public bool IsEql => Rule.Type == RuleType.Eql;

    /// <summary>Whether Vigil can run the rule: an EQL rule whose query compiled.</summary>
    public bool IsExecutable => Query is not null;

    /// <inheritdoc />
    public override string ToString() => $"{Rule.RuleId} {Rule.Name}";
}
