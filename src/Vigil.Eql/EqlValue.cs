using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Vigil.Eql;

/// <summary>The kind of an <see cref="EqlValue"/>.</summary>
public enum EqlValueKind : byte
{
    /// <summary>Missing field or JSON null.</summary>
    Null,
    /// <summary>true or false.</summary>
    Boolean,
    /// <summary>64-bit integer.</summary>
    Long,
    /// <summary>Double-precision number.</summary>
    Double,
    /// <summary>String (keyword).</summary>
    String,
    /// <summary>Multi-valued field: an array of scalar values.</summary>
    Array,
}

/// <summary>
/// An EQL runtime value: null, a scalar, or (for multi-valued fields) an array of scalars.
/// A small struct so that field reads on the hot path do not allocate.
/// </summary>
public readonly struct EqlValue : IEquatable<EqlValue>
{
    private readonly long _long;
    private readonly double _double;
    private readonly object? _ref;

    private EqlValue(EqlValueKind kind, long l, double d, object? r)
    {
        Kind = kind;
        _long = l;
        _double = d;
        _ref = r;
    }

    /// <summary>The null value.</summary>
    public static readonly EqlValue Null;

    /// <summary>The value's kind.</summary>
    public EqlValueKind Kind { get; }

    /// <summary>True for null.</summary>
    public bool IsNull => Kind == EqlValueKind.Null;

    /// <summary>True for integers and doubles.</summary>
    public bool IsNumber => Kind is EqlValueKind.Long or EqlValueKind.Double;

    /// <summary>A boolean value.</summary>
    public static EqlValue From(bool value) => new(EqlValueKind.Boolean, value ? 1 : 0, 0, null);

    /// <summary>An integer value.</summary>
    public static EqlValue From(long value) => new(EqlValueKind.Long, value, 0, null);

    /// <summary>A double value.</summary>
    public static EqlValue From(double value) => new(EqlValueKind.Double, 0, value, null);

    /// <summary>A string value (null gives <see cref="Null"/>).</summary>
    public static EqlValue From(string? value) => value is null ? Null : new(EqlValueKind.String, 0, 0, value);

    /// <summary>An array value. Empty arrays read as null, single-element arrays stay arrays.</summary>
    public static EqlValue FromArray(EqlValue[] values) => values.Length == 0 ? Null : new(EqlValueKind.Array, 0, 0, values);

    /// <summary>The boolean payload.</summary>
    public bool AsBoolean => _long != 0;

    /// <summary>The integer payload.</summary>
    public long AsLong => _long;

    /// <summary>The numeric payload as a double (integers convert).</summary>
    public double AsDouble => Kind == EqlValueKind.Long ? _long : _double;

    /// <summary>The string payload.</summary>
    public string AsString => (string)_ref!;

    /// <summary>The elements of an array value.</summary>
    public ReadOnlySpan<EqlValue> AsArray => (EqlValue[])_ref!;

    /// <summary>The elements: the array's items, or this value alone.</summary>
    [UnscopedRef]
    public ReadOnlySpan<EqlValue> Items => Kind == EqlValueKind.Array ? (EqlValue[])_ref! : new ReadOnlySpan<EqlValue>(in this);

    /// <summary>Converts a CLR value (string, bool, integer types, double, null, arrays of these) to an EQL value.</summary>
    public static EqlValue FromObject(object? value) => value switch
    {
        null => Null,
        EqlValue v => v,
        string s => From(s),
        bool b => From(b),
        int i => From(i),
        long l => From(l),
        short s => From(s),
        byte b => From(b),
        uint u => From(u),
        ulong u => u <= long.MaxValue ? From((long)u) : From((double)u),
        float f => From((double)f),
        double d => From(d),
        decimal m => From((double)m),
        System.Collections.IEnumerable e => FromArray(e.Cast<object?>().Select(FromObject).ToArray()),
        _ => From(Convert.ToString(value, CultureInfo.InvariantCulture)),
    };

    /// <summary>The value as a CLR object (null, bool, long, double, string or object?[]).</summary>
    public object? ToObject() => Kind switch
    {
        EqlValueKind.Null => null,
        EqlValueKind.Boolean => AsBoolean,
        EqlValueKind.Long => AsLong,
        EqlValueKind.Double => _double,
        EqlValueKind.String => AsString,
        EqlValueKind.Array => ((EqlValue[])_ref!).Select(v => v.ToObject()).ToArray(),
        _ => null,
    };

    /// <inheritdoc />
    public bool Equals(EqlValue other)
    {
        if (Kind != other.Kind)
        {
            return IsNumber && other.IsNumber && AsDouble.Equals(other.AsDouble);
        }
        return Kind switch
        {
            EqlValueKind.Null => true,
            EqlValueKind.Boolean or EqlValueKind.Long => _long == other._long,
            EqlValueKind.Double => _double.Equals(other._double),
            EqlValueKind.String => string.Equals(AsString, other.AsString, StringComparison.Ordinal),
            EqlValueKind.Array => AsArray.SequenceEqual(other.AsArray),
            _ => false,
        };
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is EqlValue v && Equals(v);

    /// <inheritdoc />
    public override int GetHashCode() => Kind switch
    {
        EqlValueKind.Null => 0,
        EqlValueKind.Boolean or EqlValueKind.Long => _long.GetHashCode(),
        EqlValueKind.Double => _double == Math.Floor(_double) && Math.Abs(_double) < 9e18 ? ((long)_double).GetHashCode() : _double.GetHashCode(),
        EqlValueKind.String => StringComparer.Ordinal.GetHashCode(AsString),
        EqlValueKind.Array => AsArray.Length,
        _ => 0,
    };

    /// <summary>Equality.</summary>
    public static bool operator ==(EqlValue left, EqlValue right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(EqlValue left, EqlValue right) => !left.Equals(right);

    /// <summary>EQL-style rendering: strings quoted, null as <c>null</c>.</summary>
    public override string ToString() => Kind switch
    {
        EqlValueKind.Null => "null",
        EqlValueKind.Boolean => AsBoolean ? "true" : "false",
        EqlValueKind.Long => AsLong.ToString(CultureInfo.InvariantCulture),
        EqlValueKind.Double => _double.ToString("R", CultureInfo.InvariantCulture),
        EqlValueKind.String => AsString,
        EqlValueKind.Array => "[" + string.Join(", ", ((EqlValue[])_ref!).Select(v => v.ToString())) + "]",
        _ => string.Empty,
    };
}
