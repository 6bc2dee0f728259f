using System.Globalization;
using Vigil.Eql.Semantics;

namespace Vigil.Eql.Functions;

/// <summary>String functions with Elasticsearch EQL semantics: a null input gives null, which a condition reads as false.</summary>
internal static class StringFunctions
{
    private const EqlType S = EqlType.String;
    private const EqlType N = EqlType.Number;
    private const EqlType B = EqlType.Boolean;
    private const EqlType A = EqlType.Any;

    public static IEnumerable<FunctionDef> All =>
    [
        new("between", 3, 4, true, S, [S, S, S, B], false, Between),
        new("concat", 1, int.MaxValue, false, S, [A], false, Concat),
        new("endsWith", 2, 2, true, B, [S, S], true, (a, ci) => Bool2(a, ci, static (s, x, c) => s.EndsWith(x, c))),
        new("indexOf", 2, 3, true, N, [S, S, N], false, IndexOf),
        new("length", 1, 1, false, N, [S], false, Length),
        new("startsWith", 2, 2, true, B, [S, S], true, (a, ci) => Bool2(a, ci, static (s, x, c) => s.StartsWith(x, c))),
        new("string", 1, 1, false, S, [A], false, ToStringValue),
        new("stringContains", 2, 2, true, B, [S, S], true, (a, ci) => Bool2(a, ci, static (s, x, c) => s.Contains(x, c))),
        new("substring", 2, 3, false, S, [S, N, N], false, Substring),
    ];

    /// <summary>The first value of a possibly multi-valued argument.</summary>
    internal static EqlValue Scalar(EqlValue v) => v.Kind == EqlValueKind.Array ? v.AsArray[0] : v;

    /// <summary>The string form of a scalar, as Elasticsearch renders keywords and numbers.</summary>
    internal static string? Text(EqlValue v)
    {
        v = Scalar(v);
        return v.Kind switch
        {
            EqlValueKind.Null => null,
            EqlValueKind.String => v.AsString,
            EqlValueKind.Boolean => v.AsBoolean ? "true" : "false",
            EqlValueKind.Long => v.AsLong.ToString(CultureInfo.InvariantCulture),
            EqlValueKind.Double => v.AsDouble.ToString("R", CultureInfo.InvariantCulture),
            _ => v.ToString(),
        };
    }

    private static StringComparison Cmp(bool ci) => ci ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    private static EqlValue Bool2(ReadOnlySpan<EqlValue> a, bool ci, Func<string, string, StringComparison, bool> test)
    {
        var s = Text(a[0]);
        var x = Text(a[1]);
        return s is null || x is null ? EqlValue.Null : EqlValue.From(test(s, x, Cmp(ci)));
    }

    private static EqlValue Between(ReadOnlySpan<EqlValue> a, bool ci)
    {
        var source = Text(a[0]);
        var left = Text(a[1]);
        var right = Text(a[2]);
        if (source is null || left is null || right is null)
        {
            return EqlValue.Null;
        }
        var greedy = a.Length > 3 && Scalar(a[3]) is { Kind: EqlValueKind.Boolean } g && g.AsBoolean;
        var cmp = Cmp(ci);
        var start = source.IndexOf(left, cmp);
        if (start < 0)
        {
            return EqlValue.From(string.Empty);
        }
        start += left.Length;
        var end = greedy ? source.LastIndexOf(right, cmp) : source.IndexOf(right, start, cmp);
        if (end < start)
        {
            return EqlValue.From(string.Empty);
        }
        return EqlValue.From(source[start..end]);
    }

    private static EqlValue Concat(ReadOnlySpan<EqlValue> a, bool ci)
    {
        var parts = new string[a.Length];
        for (var i = 0; i < a.Length; i++)
        {
            var t = Text(a[i]);
            if (t is null)
            {
                return EqlValue.Null;
            }
            parts[i] = t;
        }
        return EqlValue.From(string.Concat(parts));
    }

    private static EqlValue IndexOf(ReadOnlySpan<EqlValue> a, bool ci)
    {
        var s = Text(a[0]);
        var x = Text(a[1]);
        if (s is null || x is null)
        {
            return EqlValue.Null;
        }
        long start = 0;
        if (a.Length > 2)
        {
            var st = Scalar(a[2]);
            if (st.IsNull)
            {
                start = 0;
            }
            else if (st.IsNumber)
            {
                start = Math.Max(0, (long)st.AsDouble);
            }
        }
        if (start > s.Length)
        {
            return EqlValue.Null;
        }
        var i = s.IndexOf(x, (int)start, Cmp(ci));
        return i < 0 ? EqlValue.Null : EqlValue.From((long)i);
    }

    private static EqlValue Length(ReadOnlySpan<EqlValue> a, bool ci)
    {
        var s = Text(a[0]);
        return s is null ? EqlValue.Null : EqlValue.From((long)s.Length);
    }

    private static EqlValue ToStringValue(ReadOnlySpan<EqlValue> a, bool ci)
    {
        var s = Text(a[0]);
        return s is null ? EqlValue.Null : EqlValue.From(s);
    }

    private static EqlValue Substring(ReadOnlySpan<EqlValue> a, bool ci)
    {
        var s = Text(a[0]);
        var st = Scalar(a[1]);
        if (s is null || st.IsNull)
        {
            return EqlValue.Null;
        }
        long len = s.Length;
        var start = (long)st.AsDouble;
        var endValue = a.Length > 2 ? Scalar(a[2]) : EqlValue.Null;
        var end = endValue.IsNull ? len : (long)endValue.AsDouble;
        // Python-style slicing: negative positions count from the end, out-of-range positions clamp.
        if (start < 0)
        {
            start = Math.Max(0, len + start);
        }
        if (end < 0)
        {
            end = Math.Max(0, len + end);
        }
        start = Math.Min(start, len);
        end = Math.Min(end, len);
        return EqlValue.From(start >= end ? string.Empty : s[(int)start..(int)end]);
    }
}
