namespace Vigil.Rules.Tests;

/// <summary>A small valid EQL rule whose line numbers the tests rely on; edits replace whole lines.</summary>
internal static class RuleText
{
    // Line numbers (1-based) of the base rule, for readable test tables.
    public const int MetadataHeader = 1, CreationDate = 2, UpdatedDate = 3, Maturity = 4, Blank = 5;
    public const int RuleHeader = 6, Author = 7, Description = 8, From = 9, Index = 10, Interval = 11, Language = 12;
    public const int Name = 13, RiskScore = 14, RuleId = 15, Severity = 16, Type = 17, QueryOpen = 18, QueryBody = 19, QueryClose = 20;

    private static readonly string[] Base =
    [
        "[metadata]",
        "creation_date = \"2024/01/01\"",
        "updated_date = \"2024/01/02\"",
        "maturity = \"production\"",
        "",
        "[rule]",
        "author = [\"Vigil\"]",
        "description = \"Test rule\"",
        "from = \"now-9m\"",
        "index = [\"logs-*\"]",
        "interval = \"5m\"",
        "language = \"eql\"",
        "name = \"Test Rule\"",
        "risk_score = 21",
        "rule_id = \"00000000-0000-4000-8000-000000000001\"",
        "severity = \"low\"",
        "type = \"eql\"",
        "query = '''",
        "process where process.name == \"x\"",
        "'''",
    ];

    /// <summary>The base rule with some lines replaced (an empty text blanks the line, keeping numbering).</summary>
    public static string With(params (int Line, string Text)[] edits)
    {
        var lines = (string[])Base.Clone();
        foreach (var (line, text) in edits)
        {
            lines[line - 1] = text;
        }
        return string.Join('\n', lines) + "\n";
    }

    /// <summary>The base rule followed by extra lines (sub-tables, other keys after the query).</summary>
    public static string Append(params string[] extra) => With() + string.Join('\n', extra) + "\n";

    public static string Valid => With();
}
