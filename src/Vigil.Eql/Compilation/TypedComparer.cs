using System.Net;
using Vigil.Eql.Execution;

namespace Vigil.Eql.Compilation;

/// <summary>
/// Comparison rules for mapped field types, as Elasticsearch applies them: dates as instants, versions by semantic-version
/// precedence, IP addresses by address. Values convert once into a comparable form; values that do not convert compare as
/// nothing (the comparison is false), as an unparseable value is not indexed under the type.
/// </summary>
internal abstract class TypedComparer
{
    private static readonly TypedComparer DateComparer = new DateType();
    private static readonly TypedComparer VersionComparer = new VersionType();
    private static readonly TypedComparer IpComparer = new IpType();

    public static TypedComparer? For(EqlFieldType? type) => type switch
    {
        EqlFieldType.Date => DateComparer,
        EqlFieldType.Version => VersionComparer,
        EqlFieldType.Ip => IpComparer,
        _ => null,
    };

    /// <summary>Converts one scalar; null when it has no value of this type.</summary>
    public abstract EqlValue Convert(EqlValue scalar);

    public abstract int? Compare(EqlValue a, EqlValue b);

    public EqlValue ConvertAll(EqlValue v)
    {
        if (v.Kind != EqlValueKind.Array)
        {
            return v.IsNull ? v : Convert(v);
        }
        var items = v.AsArray;
        var result = new EqlValue[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            result[i] = Convert(items[i]);
        }
        return EqlValue.FromArray(result);
    }

    private sealed class DateType : TypedComparer
    {
        public override EqlValue Convert(EqlValue scalar) => EqlTime.TryGetNanos(scalar, out var n) ? EqlValue.From(n) : EqlValue.Null;

        public override int? Compare(EqlValue a, EqlValue b) => a.AsLong.CompareTo(b.AsLong);
    }

    private sealed class IpType : TypedComparer
    {
        public override EqlValue Convert(EqlValue scalar)
        {
            if (scalar.Kind != EqlValueKind.String || !IPAddress.TryParse(scalar.AsString, out var ip))
            {
                return EqlValue.Null;
            }
            if (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
            {
                ip = ip.MapToIPv6();
            }
            return EqlValue.From(System.Convert.ToHexString(ip.GetAddressBytes()));
        }

        public override int? Compare(EqlValue a, EqlValue b) => string.CompareOrdinal(a.AsString, b.AsString);
    }

    private sealed class VersionType : TypedComparer
    {
        public override EqlValue Convert(EqlValue scalar) => scalar.Kind switch
        {
            EqlValueKind.String => scalar,
            EqlValueKind.Null or EqlValueKind.Array => EqlValue.Null,
            _ => EqlValue.From(scalar.ToString()),
        };

        public override int? Compare(EqlValue a, EqlValue b) => SemVer.Compare(a.AsString, b.AsString);
    }
}

/// <summary>Semantic-version precedence; strings that are not versions sort after all versions, ordinally.</summary>
internal static class SemVer
{
    public static int Compare(string a, string b)
    {
        var va = TryParse(a, out var ma, out var pa);
        var vb = TryParse(b, out var mb, out var pb);
        if (!va || !vb)
        {
            return va ? -1 : vb ? 1 : string.CompareOrdinal(a, b);
        }
        for (var i = 0; i < Math.Max(ma.Length, mb.Length); i++)
        {
            if (i >= ma.Length || i >= mb.Length)
            {
                return ma.Length.CompareTo(mb.Length);
            }
            var c = CompareNumeric(ma[i], mb[i]);
            if (c != 0)
            {
                return c;
            }
        }
        if (pa is null || pb is null)
        {
            return pa is null ? (pb is null ? 0 : 1) : -1;
        }
        var ia = pa.Split('.');
        var ib = pb.Split('.');
        for (var i = 0; i < Math.Min(ia.Length, ib.Length); i++)
        {
            var na = ia[i].All(char.IsAsciiDigit);
            var nb = ib[i].All(char.IsAsciiDigit);
            var c = na && nb ? CompareNumeric(ia[i], ib[i]) : na ? -1 : nb ? 1 : string.CompareOrdinal(ia[i], ib[i]);
            if (c != 0)
            {
                return c;
            }
        }
        return ia.Length.CompareTo(ib.Length);
    }

    private static int CompareNumeric(string a, string b)
    {
        a = a.TrimStart('0');
        b = b.TrimStart('0');
        return a.Length != b.Length ? a.Length.CompareTo(b.Length) : string.CompareOrdinal(a, b);
    }

    private static bool TryParse(string s, out string[] main, out string? pre)
    {
        main = [];
        pre = null;
        var plus = s.IndexOf('+', StringComparison.Ordinal);
        if (plus >= 0)
        {
            s = s[..plus];
        }
        var dash = s.IndexOf('-', StringComparison.Ordinal);
        if (dash >= 0)
        {
            pre = s[(dash + 1)..];
            s = s[..dash];
            if (pre.Length == 0 || pre.Split('.').Any(p => p.Length == 0 || !p.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')))
            {
                return false;
            }
        }
        main = s.Split('.');
        return main.Length > 0 && main.All(p => p.Length > 0 && p.All(char.IsAsciiDigit));
    }
}
