using Vigil.Eql;

namespace Vigil.Rules;

/// <summary>Options of <see cref="RuleLoader"/>. The defaults validate everything.</summary>
public sealed record RuleLoaderOptions
{
    /// <summary>Default options.</summary>
    public static RuleLoaderOptions Default { get; } = new();

    /// <summary>Compile the queries of EQL rules (default <see langword="true"/>); a query that does not compile is an error.</summary>
    public bool CompileEql { get; init; } = true;

    /// <summary>
    /// Field table the compiled queries register their fields in, so rules loaded together share field slots.
    /// When <see langword="null"/> each query gets its own table and queries are compiled in parallel;
    /// with a shared table they are compiled in file order, so slot numbers do not depend on thread timing.
    /// </summary>
    public FieldTable? EqlFields { get; init; }

    /// <summary>Report a second rule with the same <c>rule_id</c> as an error and drop it (default <see langword="true"/>).</summary>
    public bool RejectDuplicateRuleIds { get; init; } = true;

    /// <summary>Report keys the schema does not define as warnings (default <see langword="true"/>). They are kept either way.</summary>
    public bool WarnOnUnknownKeys { get; init; } = true;
}
