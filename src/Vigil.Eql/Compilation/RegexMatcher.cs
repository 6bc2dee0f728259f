using System.Text.RegularExpressions;

namespace Vigil.Eql.Compilation;

/// <summary>
/// Whole-string regular expressions. The non-backtracking engine keeps matching linear in the input, so a hostile pattern
/// cannot stall detection; constructs it lacks (back-references, look-arounds) are not in Elasticsearch's regex syntax either.
/// </summary>
internal static class RegexMatcher
{
    public static Regex Create(string pattern, bool caseInsensitive)
    {
        var options = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | RegexOptions.Singleline;
        if (caseInsensitive)
        {
            options |= RegexOptions.IgnoreCase;
        }
        // Linear-time matching needs no timeout (checking one costs a clock read per match).
        return new Regex(Prefix + Translate(pattern) + @")\z", options, Regex.InfiniteMatchTimeout);
    }

    /// <summary>
    /// Lucene's regular expressions (which Elasticsearch uses) let a backslash escape any character, so <c>\_</c> and
    /// <c>\/</c> are literal. .NET rejects escapes it does not know, so every escaped character other than the class
    /// shorthands Lucene also has (<c>\d \D \s \S \w \W</c>) is rewritten as a .NET literal.
    /// </summary>
    internal static string Translate(string pattern)
    {
        if (pattern.AsSpan().IndexOfAny('\\', '^', '$') < 0)
        {
            return pattern;
        }
        var sb = new System.Text.StringBuilder(pattern.Length + 8);
        var inClass = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                var next = pattern[++i];
                if (next is 'd' or 'D' or 's' or 'S' or 'w' or 'W')
                {
                    sb.Append('\\').Append(next);
                }
                else if (char.IsAsciiLetterOrDigit(next) || next == '_' || next > 127)
                {
                    sb.Append(next);
                }
                else
                {
                    // A backslash before a non-word character is always a literal in .NET, inside classes too.
                    sb.Append('\\').Append(next);
                }
                continue;
            }
            if (inClass)
            {
                inClass = c != ']' || pattern[i - 1] == '[' || (pattern[i - 1] == '^' && i >= 2 && pattern[i - 2] == '[');
            }
            else if (c == '[')
            {
                inClass = true;
            }
            else if (c is '^' or '$')
            {
                // Lucene has no anchors (a match is always the whole string): outside a class these are literals.
                sb.Append('\\');
            }
            sb.Append(c);
        }
        return sb.ToString();
    }

    private const string Prefix = @"\A(?:";


    private static string Humanize(string name) =>
        string.Concat(name.Select((c, i) => i > 0 && char.IsUpper(c) ? " " + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    /// <summary>
    /// A regex built when it is first matched. Building a non-backtracking regex takes milliseconds and, for a long
    /// alternation, hundreds of kilobytes; a loaded rule set holds many that its inputs never reach (for the public
    /// corpus, 22 MiB of the engine's 30 MiB). The binder has already built each pattern once to check it.
    /// </summary>
    public static LazyRegex Lazy(string pattern, bool caseInsensitive) => new(pattern, caseInsensitive);

    /// <summary>Whether the pattern builds, as matched with or without case (the regex built is dropped).</summary>
    public static bool TryValidate(string pattern, bool caseInsensitive, out string? problem)
    {
        try
        {
            _ = Create(pattern, caseInsensitive);
            problem = null;
            return true;
        }
        catch (ArgumentException ex)
        {
            problem = ex is RegexParseException rpe
                ? Humanize(rpe.Error.ToString())
                : ex.Message;
            return false;
        }
        catch (NotSupportedException ex)
        {
            problem = ex.Message;
            return false;
        }
    }
}

/// <summary>See <see cref="RegexMatcher.Lazy"/>. Safe to share between threads: at worst two threads build it at once and one regex is kept.</summary>
internal sealed class LazyRegex(string pattern, bool caseInsensitive)
{
    private Regex? _regex;

    /// <summary>Whether the regex has been built.</summary>
    public bool IsBuilt => Volatile.Read(ref _regex) is not null;

    public bool IsMatch(string input)
    {
        var regex = Volatile.Read(ref _regex) ?? Build();
        return regex.IsMatch(input);
    }

    private Regex Build()
    {
        Interlocked.CompareExchange(ref _regex, RegexMatcher.Create(pattern, caseInsensitive), null);
        return _regex!;
    }
}
