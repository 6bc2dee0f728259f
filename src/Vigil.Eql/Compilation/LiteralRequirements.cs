using System.Globalization;
using Vigil.Eql.Syntax;

namespace Vigil.Eql;

/// <summary>
/// A set of strings at least one of which occurs, as written, in the value of some field of every event a query can
/// match. A reader may skip an event whose text contains none of them (the JSON of such an event cannot hold a matching
/// value, provided it has no <c>\u</c> or <c>\/</c> escape). Only literals that a value must contain verbatim are kept:
/// not numbers (a number's text is not its JSON), not strings with quotes, backslashes or control characters (JSON escapes
/// them), and case-insensitive sets only when every literal is ASCII.
/// </summary>
/// <param name="Values">The alternatives (never empty).</param>
/// <param name="IgnoreCase">True when the match is ASCII case-insensitive.</param>
public sealed record LiteralAlternatives(IReadOnlyList<string> Values, bool IgnoreCase)
{
    /// <summary>Shortest alternative, in UTF-8 bytes: longer literals skip more events.</summary>
    public int MinLength => Values.Min(v => System.Text.Encoding.UTF8.GetByteCount(v));
}

/// <summary>Derives the <see cref="LiteralAlternatives"/> an expression requires (all of them, conjunctively).</summary>
internal static class LiteralRequirements
{
    private static readonly List<LiteralAlternatives> None = [];

    /// <summary>Requirements of an event filter: the category and the condition.</summary>
    public static List<LiteralAlternatives> Of(EventQuery filter, bool defaultCategoryField, Func<string, EqlFieldType?> typeOf)
    {
        var result = new List<LiteralAlternatives>(Of(filter.Condition, typeOf));
        if (filter.Category is { } category && defaultCategoryField && Usable(category, ignoreCase: false))
        {
            result.Add(new LiteralAlternatives([category], false));
        }
        return result;
    }

    /// <summary>Requirements of "at least one of these filters holds".</summary>
    public static List<LiteralAlternatives> AnyOf(IEnumerable<List<LiteralAlternatives>> alternatives)
    {
        List<LiteralAlternatives>? acc = null;
        foreach (var a in alternatives)
        {
            acc = acc is null ? a : Or(acc, a);
            if (acc.Count == 0)
            {
                return None;
            }
        }
        return acc ?? None;
    }

    /// <summary>The most selective set: longest shortest literal, then fewest literals.</summary>
    public static LiteralAlternatives? Best(IReadOnlyList<LiteralAlternatives> sets) =>
        sets.OrderByDescending(s => s.MinLength).ThenBy(s => s.Values.Count).FirstOrDefault();

    private static List<LiteralAlternatives> Of(Expr expr, Func<string, EqlFieldType?> typeOf)
    {
        switch (expr)
        {
            case LogicalExpr { Op: LogicalOp.And } a:
                return [.. Of(a.Left, typeOf), .. Of(a.Right, typeOf)];
            case LogicalExpr o:
                return Or(Of(o.Left, typeOf), Of(o.Right, typeOf));
            case CompareExpr { Op: CompareOp.Eq } c:
            {
                var (field, literal) = c.Left is LiteralExpr ? (c.Right, c.Left as LiteralExpr) : (c.Left, c.Right as LiteralExpr);
                return IsPlainField(field, typeOf) && literal is { Value.Kind: EqlValueKind.String } l
                    ? Set([l.Value.AsString], ignoreCase: false)
                    : None;
            }
            case InExpr { Negated: false } i when IsPlainField(i.Value, typeOf) && i.Items.All(x => x is LiteralExpr { Value.Kind: EqlValueKind.String }):
                return Set(i.Items.Select(x => ((LiteralExpr)x).Value.AsString), i.CaseInsensitive);
            case MatchExpr { Kind: not MatchKind.Regex } m when IsPlainField(m.Value, typeOf) && m.Patterns.All(p => p.Value.Kind == EqlValueKind.String):
                return Set(m.Patterns.Select(p => LongestPiece(p.Value.AsString)), m.Kind == MatchKind.Seq || m.CaseInsensitive);
            case CallExpr c when c.Args.Length == 2 && IsPlainField(c.Args[0], typeOf) && c.Args[1] is LiteralExpr { Value.Kind: EqlValueKind.String } arg
                && (c.Name.Equals("startsWith", StringComparison.OrdinalIgnoreCase)
                    || c.Name.Equals("endsWith", StringComparison.OrdinalIgnoreCase)
                    || c.Name.Equals("stringContains", StringComparison.OrdinalIgnoreCase)):
                return Set([arg.Value.AsString], c.CaseInsensitive);
            default:
                // not, !=, regex, arithmetic, other functions: nothing is certain about the text.
                return None;
        }
    }

    private static List<LiteralAlternatives> Or(List<LiteralAlternatives> left, List<LiteralAlternatives> right)
    {
        if (Best(left) is not { } l || Best(right) is not { } r)
        {
            return None;
        }
        var ignoreCase = l.IgnoreCase || r.IgnoreCase;
        if (ignoreCase && !l.Values.Concat(r.Values).All(IsAscii))
        {
            return None;
        }
        return [new LiteralAlternatives(l.Values.Concat(r.Values).Distinct(StringComparer.Ordinal).ToArray(), ignoreCase)];
    }

    private static List<LiteralAlternatives> Set(IEnumerable<string> values, bool ignoreCase)
    {
        var list = values.Distinct(StringComparer.Ordinal).ToArray();
        return list.Length > 0 && list.All(v => Usable(v, ignoreCase)) ? [new LiteralAlternatives(list, ignoreCase)] : None;
    }

    /// <summary>A field read as is: typed fields (dates, IPs, versions) compare by converted value, not by text.</summary>
    private static bool IsPlainField(Expr e, Func<string, EqlFieldType?> typeOf) => e is FieldExpr f && typeOf(f.Path) is null;

    /// <summary>The longest run without wildcards: every value the pattern matches contains it.</summary>
    private static string LongestPiece(string pattern)
    {
        var best = string.Empty;
        foreach (var piece in pattern.Split('*', '?'))
        {
            if (piece.Length > best.Length)
            {
                best = piece;
            }
        }
        return best;
    }

    private static bool Usable(string literal, bool ignoreCase)
    {
        if (literal.Length == 0 || (ignoreCase && !IsAscii(literal)))
        {
            return false;
        }
        // A number's JSON text need not contain the literal (1e1 equals "10"), and "Infinity" or "NaN" parse too.
        if (double.TryParse(literal, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out _)
            || literal.All(ch => char.IsAsciiDigit(ch) || ch is '.' or '-' or '+' or 'e' or 'E'))
        {
            return false;
        }
        // Booleans and special numbers have a text form different from their JSON.
        foreach (var word in (ReadOnlySpan<string>)["true", "false", "-Infinity", "NaN"])
        {
            if (word.Contains(literal, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }
        foreach (var ch in literal)
        {
            if (ch < 0x20 || ch is '"' or '\\' or '\uFFFD' || char.IsSurrogate(ch))
            {
                return false;
            }
        }
        return true;
    }

    private static bool IsAscii(string s) => System.Text.Ascii.IsValid(s);
}
