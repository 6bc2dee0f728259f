using Vigil.Eql;

namespace Vigil.Rules;

/// <summary>A rule that passed schema validation, with its compiled query when it has one.</summary>
public sealed class LoadedRule
{
    private CompiledQuery? _query;
    private RuleDiagnostic? _queryError;

    /// <summary>The query passed the EQL checks and is compiled when <see cref="Query"/> is first read.</summary>
    private readonly bool _compileOnUse;

    internal LoadedRule(DetectionRule rule, CompiledQuery? query, RuleDiagnostic? queryError)
    {
        Rule = rule;
        _query = query;
        _queryError = queryError;
    }

    private LoadedRule(DetectionRule rule)
    {
        Rule = rule;
        _compileOnUse = true;
    }

    /// <summary>
    /// A rule whose query passed the EQL checks. Most callers hand the rule to the detection engine, which compiles the
    /// query into its own field table, so compiling it here as well would only cost time and memory.
    /// </summary>
    internal static LoadedRule CompiledOnUse(DetectionRule rule, (int Line, int Column, string Excerpt) ruleIdLocation) =>
        new(rule) { RuleIdLocation = ruleIdLocation };

    /// <summary>Where <c>rule_id</c> is written (line, column, excerpt), so a later duplicate can point at it.</summary>
    internal (int Line, int Column, string Excerpt) RuleIdLocation { get; init; }

    /// <summary>Whether the query has been compiled (it is compiled when <see cref="Query"/> is first read).</summary>
    internal bool IsCompiled => Volatile.Read(ref _query) is not null;

    /// <summary>The rule.</summary>
    public DetectionRule Rule { get; }

    /// <summary>
    /// The compiled EQL query, in a field table of its own (or the loader's <see cref="RuleLoaderOptions.EqlFields"/>);
    /// compiled when first read. <see langword="null"/> for rules of other types, when compilation was turned off, or
    /// when the query did not compile (see <see cref="QueryError"/>).
    /// </summary>
    public CompiledQuery? Query
    {
        get
        {
            if (_compileOnUse && Volatile.Read(ref _query) is null && Volatile.Read(ref _queryError) is null)
            {
                var (query, error) = EqlQueryCompiler.TryCompile(Rule, fields: null);
                if (query is not null)
                {
                    Interlocked.CompareExchange(ref _query, query, null);
                }
                else
                {
                    Volatile.Write(ref _queryError, error);
                }
            }
            return Volatile.Read(ref _query);
        }
    }

    /// <summary>
    /// Why an EQL query did not compile, positioned in the rule file; <see langword="null"/> otherwise. Every error in the
    /// query itself is found while loading; only a failure of the compiler itself shows once <see cref="Query"/> is read.
    /// </summary>
    public RuleDiagnostic? QueryError => Volatile.Read(ref _queryError);

    /// <summary>Whether this is an EQL rule (<c>type = "eql"</c>).</summary>
    public bool IsEql => Rule.Type == RuleType.Eql;

    /// <summary>Whether Vigil can run the rule: an EQL rule whose query compiled (or passed the checks and compiles on use).</summary>
    public bool IsExecutable => QueryError is null && (_compileOnUse || Volatile.Read(ref _query) is not null);

    /// <inheritdoc />
    public override string ToString() => $"{Rule.RuleId} {Rule.Name}";
}
