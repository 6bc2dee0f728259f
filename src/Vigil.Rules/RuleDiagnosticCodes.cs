namespace Vigil.Rules;

/// <summary>
/// The codes a <see cref="RuleDiagnostic"/> can carry. Query errors keep the code of the query language
/// (for example <c>EQL0203</c>), so they are not listed here.
/// </summary>
public static class RuleDiagnosticCodes
{
    /// <summary>The file is not valid TOML.</summary>
    public const string TomlSyntax = "RULE001";

    /// <summary>The file could not be read.</summary>
    public const string ReadFailed = "RULE002";

    /// <summary>A required table (<c>[metadata]</c> or <c>[rule]</c>) is missing.</summary>
    public const string MissingTable = "RULE003";

    /// <summary>A required field is missing.</summary>
    public const string MissingField = "RULE010";

    /// <summary>A value has the wrong TOML type (for example an integer where a string is expected).</summary>
    public const string WrongType = "RULE011";

    /// <summary>A value is not one of the allowed values.</summary>
    public const string InvalidEnumValue = "RULE012";

    /// <summary><c>risk_score</c> is outside 0..100.</summary>
    public const string RiskScoreOutOfRange = "RULE013";

    /// <summary><c>interval</c> is not <c>&lt;digits&gt;&lt;s|m|h|d&gt;</c>, or is zero.</summary>
    public const string InvalidInterval = "RULE014";

    /// <summary><c>from</c>, <c>to</c> or another time bound is not valid date math.</summary>
    public const string InvalidDateMath = "RULE015";

    /// <summary><c>rule_id</c> is empty or holds characters no rule id may hold.</summary>
    public const string InvalidRuleId = "RULE016";

    /// <summary>Warning: <c>rule_id</c> is usable but not a lower-case UUID as the rules repository expects.</summary>
    public const string RuleIdNotUuid = "RULE017";

    /// <summary>A date in <c>[metadata]</c> is not <c>YYYY/MM/DD</c>, or a version string is malformed.</summary>
    public const string InvalidDate = "RULE018";

    /// <summary>Two loaded rules share a <c>rule_id</c>.</summary>
    public const string DuplicateRuleId = "RULE019";

    /// <summary><c>language</c> does not fit <c>type</c> (an <c>eql</c> rule must use <c>language = "eql"</c>, and so on).</summary>
    public const string LanguageMismatch = "RULE020";

    /// <summary>A value breaks a constraint of the schema (empty query, <c>max_signals</c> below 1, list too long, ...).</summary>
    public const string InvalidValue = "RULE021";

    /// <summary>A MITRE <c>threat</c> reference URL does not have the form the schema requires.</summary>
    public const string InvalidThreatReference = "RULE022";

    /// <summary>A field is not allowed for this rule type (for example <c>index</c> on an <c>esql</c> rule).</summary>
    public const string FieldNotAllowed = "RULE023";

    /// <summary>Warning: a key the schema does not define. It is kept (see <see cref="DetectionRule.Extensions"/>).</summary>
    public const string UnknownKey = "RULE090";

    /// <summary>The query compiler failed in an unexpected way (a bug there, not in the rule); the rule is not executable.</summary>
    public const string QueryCompilerFailed = "RULE030";
}
