using System.Collections.Immutable;
using System.Text.RegularExpressions;

namespace Vigil.Rules;

/// <summary>
/// Tells whether an index name is covered by a rule's <c>index</c> patterns, with Elasticsearch's wildcard rules.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>*</c> matches any run of characters (including none); everything else matches itself, case-sensitively
/// (Elasticsearch index names are lower case; there is no <c>?</c> wildcard in index patterns).</item>
/// <item>An entry may hold several comma-separated patterns (<c>"logs-*,auditbeat-*"</c>).</item>
/// <item>A pattern starting with <c>-</c> excludes what it matches. Elasticsearch applies an exclusion only to the
/// patterns before it; here an exclusion applies to all of them, whatever the order (the same for every rule in the corpus).</item>
/// <item>A pattern with a cluster prefix (<c>remote:logs-*</c>) names a remote cluster's indices and never matches a local name.</item>
/// <item>A data stream's backing index (<c>.ds-logs-x-default-2026.08.21-000001</c>) matches what its data stream
/// (<c>logs-x-default</c>) matches, as a search on the data stream would read it.</item>
/// <item>No patterns at all means Kibana's default security indices (<see cref="KibanaDefaultIndex"/>).</item>
/// </list>
/// </remarks>
public static partial class IndexPatterns
{
    /// <summary>
    /// Kibana's default <c>securitySolution:defaultIndex</c>, used by rules that name no index (the exclusion
    /// entry is Kibana's own).
    /// </summary>
    public static ImmutableArray<string> KibanaDefaultIndex { get; } =
    [
        "apm-*-transaction*", "auditbeat-*", "endgame-*", "filebeat-*", "logs-*", "packetbeat-*", "traces-apm*",
        "winlogbeat-*", "-*elastic-cloud-logs-*",
    ];

    [GeneratedRegex(@"^\.ds-(?<stream>.+)-\d{4}\.\d{2}\.\d{2}-\d{6}$", RegexOptions.CultureInvariant)]
    private static partial Regex BackingIndexPattern();

    /// <summary>Whether <paramref name="indexName"/> matches any of <paramref name="patterns"/> and none of the exclusions.</summary>
    /// <param name="patterns">A rule's <c>index</c> entries; empty means <see cref="KibanaDefaultIndex"/>.</param>
    /// <param name="indexName">A concrete index, alias or data stream name.</param>
    public static bool Matches(IEnumerable<string> patterns, string indexName)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        ArgumentNullException.ThrowIfNull(indexName);
        var split = Split(patterns).ToList();
        if (split.Count == 0)
        {
            split = [.. Split(KibanaDefaultIndex)];
        }
        var dataStream = DataStreamOf(indexName);
        var included = false;
        foreach (var pattern in split)
        {
            if (pattern[0] == '-')
            {
                if (pattern.Length > 1 && MatchesName(pattern[1..], indexName, dataStream))
                {
                    return false;
                }
            }
            else if (!included && MatchesName(pattern, indexName, dataStream))
            {
                included = true;
            }
        }
        return included;
    }

    /// <summary>Whether <paramref name="indexName"/> matches <paramref name="pattern"/> (which may be comma-separated).</summary>
    /// <param name="pattern">One index pattern, e.g. <c>logs-cloud_defend.process*</c>.</param>
    /// <param name="indexName">A concrete index, alias or data stream name.</param>
    public static bool Matches(string pattern, string indexName) => Matches([pattern], indexName);

    /// <summary>
    /// The data stream a backing index belongs to: <c>.ds-logs-x-default-2026.08.21-000001</c> gives
    /// <c>logs-x-default</c>; <see langword="null"/> when the name is not a backing index.
    /// </summary>
    public static string? DataStreamOf(string indexName)
    {
        ArgumentNullException.ThrowIfNull(indexName);
        if (!indexName.StartsWith(".ds-", StringComparison.Ordinal))
        {
            return null;
        }
        var match = BackingIndexPattern().Match(indexName);
        return match.Success ? match.Groups["stream"].Value : null;
    }

    private static IEnumerable<string> Split(IEnumerable<string> patterns) =>
        patterns.SelectMany(p => p.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static bool MatchesName(string pattern, string indexName, string? dataStream)
    {
        if (pattern.Contains(':', StringComparison.Ordinal))
        {
            return false;
        }
        return Glob(pattern, indexName) || (dataStream is not null && Glob(pattern, dataStream));
    }

    /// <summary>Wildcard match where <c>*</c> is the only special character, in linear time with one backtrack point.</summary>
    internal static bool Glob(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        int p = 0, t = 0, star = -1, resume = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = t;
            }
            else if (p < pattern.Length && pattern[p] == text[t])
            {
                p++;
                t++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++resume;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }
        return p == pattern.Length;
    }
}
