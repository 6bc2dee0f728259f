using System.Globalization;
using Vigil.Eql.Semantics;

namespace Vigil.Eql.Functions;

/// <summary>Arithmetic and conversion functions. Integer operations stay integral (division truncates), as in Elasticsearch.</summary>
internal static class MathFunctions
{
    private const EqlType N = EqlType.Number;
    private const EqlType S = EqlType.String;

    public static IEnumerable<FunctionDef> All =>
    [
        new("add", 2, 2, false, N, [N, N], false, (a, _) => Arithmetic.Apply(Syntax.ArithOp.Add, Scalar(a[0]), Scalar(a[1]))),
        new("subtract", 2, 2, false, N, [N, N], false, (a, _) => Arithmetic.Apply(Syntax.ArithOp.Sub, Scalar(a[0]), Scalar(a[1]))),
        new("multiply", 2, 2, false, N, [N, N], false, (a, _) => Arithmetic.Apply(Syntax.ArithOp.Mul, Scalar(a[0]), Scalar(a[1]))),
        new("divide", 2, 2, false, N, [N, N], false, (a, _) => Arithmetic.Apply(Syntax.ArithOp.Div, Scalar(a[0]), Scalar(a[1]))),
        new("modulo", 2, 2, false, N, [N, N], false, (a, _) => Arithmetic.Apply(Syntax.ArithOp.Mod, Scalar(a[0]), Scalar(a[1]))),
        new("number", 1, 2, false, N, [S, N], false, Number),
        new("cidrMatch", 2, int.MaxValue, false, EqlType.Boolean, [S, S], true, CidrFunctions.CidrMatch),
    ];

    private static EqlValue Scalar(EqlValue v) => StringFunctions.Scalar(v);

    private static EqlValue Number(ReadOnlySpan<EqlValue> a, bool ci)
    {
        var v = Scalar(a[0]);
        if (v.IsNull)
        {
            return EqlValue.Null;
        }
        if (v.IsNumber)
        {
            return v;
        }
        var s = StringFunctions.Text(v)!.Trim();
        var radix = a.Length > 1 && Scalar(a[1]).IsNumber ? (int)Scalar(a[1]).AsDouble : 10;
        // Without a base, integer literals starting with 0x are hexadecimal (as Elasticsearch documents: number("0xdeadbeef")).
        if (a.Length == 1 && s.TrimStart('+', '-').StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            radix = 16;
        }
        if (radix == 10)
        {
            if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
            {
                return EqlValue.From(l);
            }
            return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? EqlValue.From(d) : EqlValue.Null;
        }
        var negative = s.StartsWith('-');
        if (negative || s.StartsWith('+'))
        {
            s = s[1..];
        }
        if (radix == 16 && s.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            s = s[2..];
        }
        if (radix is < 2 or > 36 || s.Length == 0)
        {
            return EqlValue.Null;
        }
        long result = 0;
        foreach (var c in s)
        {
            var digit = char.IsAsciiDigit(c) ? c - '0' : char.IsAsciiLetter(c) ? char.ToLowerInvariant(c) - 'a' + 10 : 99;
            if (digit >= radix)
            {
                return EqlValue.Null;
            }
            result = checked((result * radix) + digit);
        }
        return EqlValue.From(negative ? -result : result);
    }
}

/// <summary>Shared arithmetic on scalars: null in, null out; integers stay integers; division by zero is null.</summary>
internal static class Arithmetic
{
    public static EqlValue Apply(Syntax.ArithOp op, EqlValue l, EqlValue r)
    {
        if (!l.IsNumber || !r.IsNumber)
        {
            return EqlValue.Null;
        }
        if (l.Kind == EqlValueKind.Long && r.Kind == EqlValueKind.Long)
        {
            long a = l.AsLong, b = r.AsLong;
            return op switch
            {
                Syntax.ArithOp.Add => EqlValue.From(unchecked(a + b)),
                Syntax.ArithOp.Sub => EqlValue.From(unchecked(a - b)),
                Syntax.ArithOp.Mul => EqlValue.From(unchecked(a * b)),
                Syntax.ArithOp.Div => b == 0 ? EqlValue.Null : EqlValue.From(a / b),
                Syntax.ArithOp.Mod => b == 0 ? EqlValue.Null : EqlValue.From(a % b),
                _ => EqlValue.Null,
            };
        }
        double x = l.AsDouble, y = r.AsDouble;
        return op switch
        {
            Syntax.ArithOp.Add => EqlValue.From(x + y),
            Syntax.ArithOp.Sub => EqlValue.From(x - y),
            Syntax.ArithOp.Mul => EqlValue.From(x * y),
            Syntax.ArithOp.Div => y == 0 ? EqlValue.Null : EqlValue.From(x / y),
            Syntax.ArithOp.Mod => y == 0 ? EqlValue.Null : EqlValue.From(x % y),
            _ => EqlValue.Null,
        };
    }
}
