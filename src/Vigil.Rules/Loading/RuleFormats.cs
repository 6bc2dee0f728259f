using System.Globalization;
using System.Text.RegularExpressions;

namespace Vigil.Rules;

/// <summary>The string formats of the rule schema (<c>detection_rules/schemas/definitions.py</c>).</summary>
internal static partial class RuleFormats
{
    [GeneratedRegex(@"^\d{4}/\d{2}/\d{2}$", RegexOptions.CultureInvariant)]
    private static partial Regex DatePattern();

    [GeneratedRegex(@"^\d+\.\d+(\.\d+[\w-]*)*$", RegexOptions.CultureInvariant)]
    private static partial Regex StackVersionPattern();

    [GeneratedRegex(@"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", RegexOptions.CultureInvariant)]
    private static partial Regex UuidPattern();

    // Kibana stores any string as rule_id, but it ends up in saved-object ids, URLs and alert ids: we refuse what
    // cannot be typed on a command line unquoted (blanks, control characters, quotes, slashes).
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,254}$", RegexOptions.CultureInvariant)]
    private static partial Regex RuleIdPattern();

    [GeneratedRegex(@"^(https://attack\.mitre\.org/tactics/TA[0-9]+/|https://atlas\.mitre\.org/tactics/AML\.TA[0-9]+/)$", RegexOptions.CultureInvariant)]
    private static partial Regex TacticUrlPattern();

    [GeneratedRegex(@"^(https://attack\.mitre\.org/techniques/T[0-9]+/|https://atlas\.mitre\.org/techniques/AML\.T[0-9]+/)$", RegexOptions.CultureInvariant)]
    private static partial Regex TechniqueUrlPattern();

    [GeneratedRegex(@"^(https://attack\.mitre\.org/techniques/T[0-9]+/[0-9]+/|https://atlas\.mitre\.org/techniques/AML\.T[0-9]+\.[0-9]+/)$", RegexOptions.CultureInvariant)]
    private static partial Regex SubtechniqueUrlPattern();

    public static bool IsRuleDate(string text) =>
        DatePattern().IsMatch(text) &&
        DateOnly.TryParseExact(text, "yyyy/MM/dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _);

    public static bool IsStackVersion(string text) => StackVersionPattern().IsMatch(text);

    public static bool IsUuid(string text) => UuidPattern().IsMatch(text);

    public static bool IsRuleId(string text) => RuleIdPattern().IsMatch(text);

    // The schema appends a missing trailing '/' on load before matching, so we accept the URL either way.
    public static bool IsTacticUrl(string url) => TacticUrlPattern().IsMatch(WithSlash(url));

    public static bool IsTechniqueUrl(string url) => TechniqueUrlPattern().IsMatch(WithSlash(url));

    public static bool IsSubtechniqueUrl(string url) => SubtechniqueUrlPattern().IsMatch(WithSlash(url));

    private static string WithSlash(string url) => url.EndsWith('/') ? url : url + "/";
}
