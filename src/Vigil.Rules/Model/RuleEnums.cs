using System.Diagnostics;

namespace Vigil.Rules;

/// <summary>Rule severity (<c>rule.severity</c>).</summary>
public enum RuleSeverity
{
    /// <summary><c>low</c></summary>
    Low,

    /// <summary><c>medium</c></summary>
    Medium,

    /// <summary><c>high</c></summary>
    High,

    /// <summary><c>critical</c></summary>
    Critical,
}

/// <summary>Rule type (<c>rule.type</c>).</summary>
public enum RuleType
{
    /// <summary><c>query</c> (KQL or Lucene)</summary>
    Query,

    /// <summary><c>saved_query</c></summary>
    SavedQuery,

    /// <summary><c>machine_learning</c></summary>
    MachineLearning,

    /// <summary><c>eql</c></summary>
    Eql,

    /// <summary><c>esql</c></summary>
    Esql,

    /// <summary><c>threshold</c></summary>
    Threshold,

    /// <summary><c>threat_match</c></summary>
    ThreatMatch,

    /// <summary><c>new_terms</c></summary>
    NewTerms,
}

/// <summary>Query language (<c>rule.language</c>).</summary>
public enum QueryLanguage
{
    /// <summary><c>eql</c></summary>
    Eql,

    /// <summary><c>kuery</c> (KQL)</summary>
    Kuery,

    /// <summary><c>lucene</c></summary>
    Lucene,

    /// <summary><c>esql</c></summary>
    Esql,
}

/// <summary>Rule maturity (<c>metadata.maturity</c>).</summary>
public enum RuleMaturity
{
    /// <summary><c>development</c></summary>
    Development,

    /// <summary><c>experimental</c></summary>
    Experimental,

    /// <summary><c>beta</c></summary>
    Beta,

    /// <summary><c>production</c></summary>
    Production,

    /// <summary><c>deprecated</c></summary>
    Deprecated,
}

/// <summary>Conversions between the rule enums and the snake_case words written in rule files.</summary>
public static class RuleEnumNames
{
    /// <summary>The word used in rule files, e.g. <c>critical</c>.</summary>
    public static string ToWireName(this RuleSeverity value) => value switch
    {
        RuleSeverity.Low => "low",
        RuleSeverity.Medium => "medium",
        RuleSeverity.High => "high",
        RuleSeverity.Critical => "critical",
        _ => throw new UnreachableException($"unknown severity {value}"),
    };

    /// <summary>The word used in rule files, e.g. <c>new_terms</c>.</summary>
    public static string ToWireName(this RuleType value) => value switch
    {
        RuleType.Query => "query",
        RuleType.SavedQuery => "saved_query",
        RuleType.MachineLearning => "machine_learning",
        RuleType.Eql => "eql",
        RuleType.Esql => "esql",
        RuleType.Threshold => "threshold",
        RuleType.ThreatMatch => "threat_match",
        RuleType.NewTerms => "new_terms",
        _ => throw new UnreachableException($"unknown rule type {value}"),
    };

    /// <summary>The word used in rule files, e.g. <c>kuery</c>.</summary>
    public static string ToWireName(this QueryLanguage value) => value switch
    {
        QueryLanguage.Eql => "eql",
        QueryLanguage.Kuery => "kuery",
        QueryLanguage.Lucene => "lucene",
        QueryLanguage.Esql => "esql",
        _ => throw new UnreachableException($"unknown language {value}"),
    };

    /// <summary>The word used in rule files, e.g. <c>production</c>.</summary>
    public static string ToWireName(this RuleMaturity value) => value switch
    {
        RuleMaturity.Development => "development",
        RuleMaturity.Experimental => "experimental",
        RuleMaturity.Beta => "beta",
        RuleMaturity.Production => "production",
        RuleMaturity.Deprecated => "deprecated",
        _ => throw new UnreachableException($"unknown maturity {value}"),
    };

    /// <summary>Parses a severity word (exact, lower case as in the schema).</summary>
    public static bool TryParseSeverity(string text, out RuleSeverity value) => TryParse(text, out value);

    /// <summary>Parses a rule type word (exact, lower case as in the schema).</summary>
    public static bool TryParseRuleType(string text, out RuleType value) => TryParse(text, out value);

    /// <summary>Parses a language word (exact, lower case as in the schema).</summary>
    public static bool TryParseLanguage(string text, out QueryLanguage value) => TryParse(text, out value);

    /// <summary>Parses a maturity word (exact, lower case as in the schema).</summary>
    public static bool TryParseMaturity(string text, out RuleMaturity value) => TryParse(text, out value);

    /// <summary>The allowed words of an enum, in declaration order, for error messages.</summary>
    internal static string AllowedWords<T>() where T : struct, Enum =>
        string.Join(", ", Enum.GetValues<T>().Select(Word));

    private static bool TryParse<T>(string text, out T value) where T : struct, Enum
    {
        // Match against the wire words rather than Enum.TryParse: the schema is case-sensitive and "Eql" or "1" must not pass.
        foreach (var candidate in Enum.GetValues<T>())
        {
            if (string.Equals(Word(candidate), text, StringComparison.Ordinal))
            {
                value = candidate;
                return true;
            }
        }
        value = default;
        return false;
    }

    private static string Word<T>(T value) where T : struct, Enum => value switch
    {
        RuleSeverity s => s.ToWireName(),
        RuleType t => t.ToWireName(),
        QueryLanguage l => l.ToWireName(),
        RuleMaturity m => m.ToWireName(),
        _ => throw new UnreachableException($"no wire names for {typeof(T)}"),
    };
}
