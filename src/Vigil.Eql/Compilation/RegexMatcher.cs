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
        return new Regex(Prefix + pattern + @")\z", options, TimeSpan.FromSeconds(1));
    }

    private const string Prefix = @"\A(?:";

    private static string Humanize(string name) =>
        string.Concat(name.Select((c, i) => i > 0 && char.IsUpper(c) ? " " + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    public static bool TryValidate(string pattern, out string? problem)
    {
        try
        {
            _ = Create(pattern, false);
            problem = null;
            return true;
        }
        catch (ArgumentException ex)
        {
            problem = ex is RegexParseException rpe
                ? $"{Humanize(rpe.Error.ToString())} at position {Math.Max(1, rpe.Offset - Prefix.Length)}"
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
