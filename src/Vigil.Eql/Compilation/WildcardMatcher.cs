using System.Collections.Frozen;

namespace Vigil.Eql.Compilation;

/// <summary>
/// Matches a string against a list of wildcard patterns (<c>*</c> any run, <c>?</c> one character), compiled once into the
/// cheapest test for each pattern: a frozen set for exact values, then prefix, suffix and contains lists, then general globs.
/// There is no escape character: a backslash is literal, so Windows paths such as <c>C:\Windows\*</c> work as written.
/// </summary>
internal sealed class WildcardMatcher
{
    private readonly FrozenSet<string> _exact;
    private readonly string[] _prefixes;
    private readonly string[] _suffixes;
    private readonly string[] _contains;
    private readonly string[] _globs;
    private readonly bool _matchAll;
    private readonly StringComparison _comparison;

    public WildcardMatcher(IEnumerable<string> patterns, bool caseInsensitive)
    {
        _comparison = caseInsensitive ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var exact = new List<string>();
        var prefixes = new List<string>();
        var suffixes = new List<string>();
        var contains = new List<string>();
        var globs = new List<string>();
        foreach (var p in patterns)
        {
            var stars = p.Count(c => c == '*');
            var hasQ = p.Contains('?', StringComparison.Ordinal);
            if (!hasQ && stars == 0)
            {
                exact.Add(p);
            }
            else if (!hasQ && p.Length > 0 && p.All(c => c == '*'))
            {
                _matchAll = true;
            }
            else if (!hasQ && stars == 1 && p.EndsWith('*'))
            {
                prefixes.Add(p[..^1]);
            }
            else if (!hasQ && stars == 1 && p.StartsWith('*'))
            {
                suffixes.Add(p[1..]);
            }
            else if (!hasQ && stars == 2 && p.Length > 2 && p.StartsWith('*') && p.EndsWith('*'))
            {
                contains.Add(p[1..^1]);
            }
            else
            {
                globs.Add(p);
            }
        }
        _exact = exact.ToFrozenSet(caseInsensitive ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
        _prefixes = [.. prefixes];
        _suffixes = [.. suffixes];
        _contains = [.. contains];
        _globs = [.. globs];
    }

    public bool IsMatch(string value)
    {
        if (_matchAll || _exact.Contains(value))
        {
            return true;
        }
        foreach (var p in _prefixes)
        {
            if (value.StartsWith(p, _comparison))
            {
                return true;
            }
        }
        foreach (var s in _suffixes)
        {
            if (value.EndsWith(s, _comparison))
            {
                return true;
            }
        }
        foreach (var c in _contains)
        {
            if (value.Contains(c, _comparison))
            {
                return true;
            }
        }
        foreach (var g in _globs)
        {
            if (Glob(value, g, _comparison == StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Glob matching in O(n·m) with single-star backtracking: hostile patterns cannot blow up.</summary>
    internal static bool Glob(ReadOnlySpan<char> text, ReadOnlySpan<char> pattern, bool ignoreCase)
    {
        int t = 0, p = 0, starP = -1, starT = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] != '*' && (pattern[p] == '?' || Same(pattern[p], text[t], ignoreCase)))
            {
                t++;
                p++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                starP = p++;
                starT = t;
            }
            else if (starP >= 0)
            {
                p = starP + 1;
                t = ++starT;
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

    private static bool Same(char a, char b, bool ignoreCase) =>
        a == b || (ignoreCase && char.ToUpperInvariant(a) == char.ToUpperInvariant(b));
}
