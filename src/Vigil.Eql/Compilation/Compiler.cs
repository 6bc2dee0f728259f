using System.Collections.Frozen;
using System.Diagnostics;
using Vigil.Eql.Functions;
using Vigil.Eql.Syntax;

namespace Vigil.Eql.Compilation;

/// <summary>Evaluates an expression on an event.</summary>
internal delegate EqlValue Evaluator(IEqlEvent e);

/// <summary>Tests a condition on an event.</summary>
internal delegate bool Predicate(IEqlEvent e);

/// <summary>
/// Compiles bound expressions into closures, once. Semantics follow Elasticsearch: a comparison with a multi-valued field
/// holds when any value satisfies it; a missing field is null and fails every comparison except <c>== null</c>;
/// <c>!=</c> and <c>not in</c> are the negations of <c>==</c> and <c>in</c>.
/// </summary>
internal sealed class Compiler
{
    private readonly FieldTable _fields;
    private readonly Func<string, EqlFieldType?> _typeOf;
    private readonly HashSet<FieldRef> _used = [];

    public Compiler(FieldTable fields, Func<string, EqlFieldType?>? typeOf = null)
    {
        _fields = fields;
        _typeOf = typeOf ?? (static _ => null);
    }

    /// <summary>Every field the compiled closures read.</summary>
    public IReadOnlyCollection<FieldRef> UsedFields => _used;

    public FieldRef Field(string path)
    {
        var f = _fields.Get(path);
        _used.Add(f);
        return f;
    }

    public Predicate CompileCondition(Expr expr)
    {
        switch (expr)
        {
            case LiteralExpr l:
                var constant = l.Value.Kind == EqlValueKind.Boolean && l.Value.AsBoolean;
                return _ => constant;
            case NotExpr n:
            {
                var inner = CompileCondition(n.Operand);
                return e => !inner(e);
            }
            case LogicalExpr { Op: LogicalOp.And } a:
            {
                var l = CompileCondition(a.Left);
                var r = CompileCondition(a.Right);
                return e => l(e) && r(e);
            }
            case LogicalExpr o:
            {
                var l = CompileCondition(o.Left);
                var r = CompileCondition(o.Right);
                return e => l(e) || r(e);
            }
            case CompareExpr c:
                return CompileCompare(c);
            case InExpr i:
                return CompileIn(i);
            case MatchExpr m:
                return CompileMatch(m);
            case CallExpr c when FunctionRegistry.TryGet(c.Name, out var def) && def!.Predicate:
                return CompilePredicateCall(c, def);
            case FieldExpr or CallExpr or ArithExpr or NegateExpr:
            {
                var v = CompileValue(expr);
                return e => AnyItem(v(e), static x => x.Kind == EqlValueKind.Boolean && x.AsBoolean);
            }
            default:
                throw new UnreachableException(expr.GetType().Name);
        }
    }

    public Evaluator CompileValue(Expr expr)
    {
        switch (expr)
        {
            case LiteralExpr l:
            {
                var v = l.Value;
                return _ => v;
            }
            case FieldExpr f:
            {
                var field = Field(f.Path);
                return e => e.Get(field);
            }
            case ArithExpr a:
            {
                var l = CompileValue(a.Left);
                var r = CompileValue(a.Right);
                var op = a.Op;
                return e => Arithmetic.Apply(op, StringFunctions.Scalar(l(e)), StringFunctions.Scalar(r(e)));
            }
            case NegateExpr n:
            {
                var inner = CompileValue(n.Operand);
                return e => Arithmetic.Apply(ArithOp.Sub, EqlValue.From(0L), StringFunctions.Scalar(inner(e)));
            }
            case CallExpr c:
            {
                FunctionRegistry.TryGet(c.Name, out var def);
                if (def!.Predicate)
                {
                    var p = CompilePredicateCallValue(c, def);
                    return p;
                }
                var args = c.Args.Select(CompileValue).ToArray();
                var body = def.Body;
                var ci = c.CaseInsensitive;
                return e =>
                {
                    var values = new EqlValue[args.Length];
                    for (var i = 0; i < args.Length; i++)
                    {
                        values[i] = args[i](e);
                    }
                    return body(values, ci);
                };
            }
            case CompareExpr c when c.Left is not LiteralExpr { Value.IsNull: true } && c.Right is not LiteralExpr { Value.IsNull: true }:
            {
                // As a value, a comparison with a null operand is null (so `null == (x > 1)` holds when x is missing).
                var p = CompileCondition(c);
                var l = CompileValue(c.Left);
                var r = CompileValue(c.Right);
                return e => l(e).IsNull || r(e).IsNull ? EqlValue.Null : EqlValue.From(p(e));
            }
            case NotExpr or LogicalExpr or CompareExpr or InExpr or MatchExpr:
            {
                var p = CompileCondition(expr);
                return e => EqlValue.From(p(e));
            }
            default:
                throw new UnreachableException(expr.GetType().Name);
        }
    }

    private Predicate CompilePredicateCall(CallExpr c, FunctionDef def)
    {
        var v = CompilePredicateCallValue(c, def);
        return e => v(e) is { Kind: EqlValueKind.Boolean } r && r.AsBoolean;
    }

    /// <summary>Predicate functions test each value of a multi-valued first argument; null when the input is null.</summary>
    private Evaluator CompilePredicateCallValue(CallExpr c, FunctionDef def)
    {
        var args = c.Args.Select(CompileValue).ToArray();
        var body = def.Body;
        var ci = c.CaseInsensitive;
        return e =>
        {
            var values = new EqlValue[args.Length];
            for (var i = 0; i < args.Length; i++)
            {
                values[i] = args[i](e);
            }
            var first = values[0];
            if (first.Kind != EqlValueKind.Array)
            {
                return body(values, ci);
            }
            var sawFalse = false;
            foreach (var item in first.AsArray)
            {
                values[0] = item;
                var r = body(values, ci);
                if (r.Kind == EqlValueKind.Boolean)
                {
                    if (r.AsBoolean)
                    {
                        return r;
                    }
                    sawFalse = true;
                }
            }
            return sawFalse ? EqlValue.From(false) : EqlValue.Null;
        };
    }

    internal static bool AnyItem(EqlValue v, Func<EqlValue, bool> test)
    {
        if (v.Kind != EqlValueKind.Array)
        {
            return !v.IsNull && test(v);
        }
        foreach (var item in v.AsArray)
        {
            if (!item.IsNull && test(item))
            {
                return true;
            }
        }
        return false;
    }

    private Predicate CompileCompare(CompareExpr c)
    {
        var left = c.Left;
        var right = c.Right;
        var op = c.Op;
        // Normalise literal-on-the-left to literal-on-the-right so the fast paths apply.
        if (left is LiteralExpr && right is not LiteralExpr)
        {
            (left, right) = (right, left);
            op = op switch { CompareOp.Lt => CompareOp.Gt, CompareOp.Le => CompareOp.Ge, CompareOp.Gt => CompareOp.Lt, CompareOp.Ge => CompareOp.Le, _ => op };
        }
        if (TypedComparer.For(TypeOf(left) ?? TypeOf(right)) is { } typed && right is not LiteralExpr { Value.IsNull: true })
        {
            return CompileTypedCompare(op, left, right, typed);
        }
        var l = CompileValue(left);
        if (right is LiteralExpr { Value.IsNull: true })
        {
            return op switch
            {
                CompareOp.Eq => e => l(e).IsNull,
                CompareOp.Neq => e => !l(e).IsNull,
                _ => _ => false,
            };
        }
        if (right is LiteralExpr { Value.Kind: EqlValueKind.String } s && op is CompareOp.Eq or CompareOp.Neq)
        {
            var text = s.Value.AsString;
            // Inner tests are built once here: a lambda created inside the closure would allocate on every evaluation.
            Func<EqlValue, bool> equalsText = x => Values.EqualsLoose(x, text);
            Predicate eq = e => AnyItem(l(e), equalsText);
            return op == CompareOp.Eq ? eq : e => !eq(e);
        }
        var r = CompileValue(right);
        if (op is CompareOp.Eq or CompareOp.Neq)
        {
            Predicate eq = e =>
            {
                var lv = l(e);
                var rv = r(e);
                if (lv.IsNull || rv.IsNull)
                {
                    return lv.IsNull && rv.IsNull;
                }
                foreach (var a in lv.Items)
                {
                    foreach (var b in rv.Items)
                    {
                        if (Values.Compare(a, b) == 0)
                        {
                            return true;
                        }
                    }
                }
                return false;
            };
            return op == CompareOp.Eq ? eq : e => !eq(e);
        }
        return e => AnyPairHolds(l(e), r(e), op, Values.Compare);
    }

    /// <summary>
    /// A comparison against multi-valued operands holds when some pair of values satisfies it; a null operand (or a pair
    /// that cannot be compared) satisfies nothing.
    /// </summary>
    private static bool AnyPairHolds(EqlValue lv, EqlValue rv, CompareOp op, Func<EqlValue, EqlValue, int?> compare)
    {
        if (lv.IsNull || rv.IsNull)
        {
            return false;
        }
        foreach (var a in lv.Items)
        {
            foreach (var b in rv.Items)
            {
                if (!a.IsNull && !b.IsNull && compare(a, b) is { } cmp && op switch
                {
                    CompareOp.Eq => cmp == 0,
                    CompareOp.Neq => cmp != 0,
                    CompareOp.Lt => cmp < 0,
                    CompareOp.Le => cmp <= 0,
                    CompareOp.Gt => cmp > 0,
                    _ => cmp >= 0,
                })
                {
                    return true;
                }
            }
        }
        return false;
    }

    private EqlFieldType? TypeOf(Expr e) => e is FieldExpr f ? _typeOf(f.Path) : null;

    /// <summary>A comparison on a date, version or IP field: each side converts to the field's comparable form first.</summary>
    private Predicate CompileTypedCompare(CompareOp op, Expr left, Expr right, TypedComparer typed)
    {
        if (op == CompareOp.Neq)
        {
            var eq = CompileTypedCompare(CompareOp.Eq, left, right, typed);
            return e => !eq(e);
        }
        var l = ConvertedValue(left, typed);
        var r = ConvertedValue(right, typed);
        return e => AnyPairHolds(l(e), r(e), op, typed.Compare);
    }

    private Evaluator ConvertedValue(Expr e, TypedComparer typed)
    {
        if (e is LiteralExpr lit)
        {
            var converted = typed.ConvertAll(lit.Value);
            return _ => converted;
        }
        var inner = CompileValue(e);
        return ev => typed.ConvertAll(inner(ev));
    }

    private Predicate CompileIn(InExpr i)
    {
        var value = CompileValue(i.Value);
        Predicate test;
        if (i.Items.All(x => x is LiteralExpr))
        {
            var literals = i.Items.Cast<LiteralExpr>().Select(x => x.Value).ToArray();
            var strings = literals.Where(v => v.Kind == EqlValueKind.String).Select(v => v.AsString)
                .ToFrozenSet(i.CaseInsensitive ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
            var others = literals.Where(v => v.Kind is not (EqlValueKind.String or EqlValueKind.Null)).ToArray();
            var matchesNull = literals.Any(v => v.IsNull);
            Func<EqlValue, bool> member = x =>
            {
                if (x.Kind == EqlValueKind.String && strings.Contains(x.AsString))
                {
                    return true;
                }
                foreach (var o in others)
                {
                    if (x.Kind == EqlValueKind.String ? Values.EqualsLoose(o, x.AsString) : Values.Compare(x, o) == 0)
                    {
                        return true;
                    }
                }
                return x.Kind != EqlValueKind.String && strings.Contains(StringFunctions.Text(x)!);
            };
            test = e =>
            {
                var v = value(e);
                if (v.IsNull)
                {
                    return matchesNull;
                }
                return AnyItem(v, member);
            };
        }
        else
        {
            var items = i.Items.Select(CompileValue).ToArray();
            var ci = i.CaseInsensitive;
            test = e =>
            {
                var v = value(e);
                foreach (var item in items)
                {
                    var iv = item(e);
                    if (v.IsNull || iv.IsNull)
                    {
                        if (v.IsNull && iv.IsNull)
                        {
                            return true;
                        }
                        continue;
                    }
                    foreach (var a in v.Items)
                    {
                        foreach (var b in iv.Items)
                        {
                            if (ci && a.Kind == EqlValueKind.String && b.Kind == EqlValueKind.String
                                ? string.Equals(a.AsString, b.AsString, StringComparison.OrdinalIgnoreCase)
                                : Values.Compare(a, b) == 0)
                            {
                                return true;
                            }
                        }
                    }
                }
                return false;
            };
        }
        return i.Negated ? e => !test(e) : test;
    }

    private Predicate CompileMatch(MatchExpr m)
    {
        var value = CompileValue(m.Value);
        if (m.Kind == MatchKind.Regex)
        {
            var regexes = m.Patterns.Select(p => RegexMatcher.Lazy(p.Value.AsString, m.CaseInsensitive)).ToArray();
            Func<EqlValue, bool> matches = x =>
            {
                if (x.Kind != EqlValueKind.String)
                {
                    return false;
                }
                foreach (var r in regexes)
                {
                    if (r.IsMatch(x.AsString))
                    {
                        return true;
                    }
                }
                return false;
            };
            return e => AnyItem(value(e), matches);
        }
        var ci = m.Kind == MatchKind.Seq || m.CaseInsensitive;
        var matcher = new WildcardMatcher(m.Patterns.Select(p => StringFunctions.Text(p.Value)).OfType<string>(), ci);
        var matchesNull = m.Patterns.Any(p => p.Value.IsNull);
        Func<EqlValue, bool> isMatch = x => matcher.IsMatch(StringFunctions.Text(x)!);
        return e =>
        {
            var v = value(e);
            if (v.IsNull)
            {
                return matchesNull;
            }
            return AnyItem(v, isMatch);
        };
    }
}

/// <summary>Scalar comparison rules shared by the compiler and the runners.</summary>
internal static class Values
{
    /// <summary>
    /// Orders two scalars: numbers numerically, strings ordinally, booleans false &lt; true. A string and a number compare by
    /// the number's text (events carry no mapping, so <c>"0"</c> and <c>0</c> are the same id). Null when not comparable.
    /// </summary>
    public static int? Compare(EqlValue a, EqlValue b)
    {
        if (a.IsNumber && b.IsNumber)
        {
            return a.Kind == EqlValueKind.Long && b.Kind == EqlValueKind.Long ? a.AsLong.CompareTo(b.AsLong) : a.AsDouble.CompareTo(b.AsDouble);
        }
        if (a.Kind == EqlValueKind.String && b.Kind == EqlValueKind.String)
        {
            return string.CompareOrdinal(a.AsString, b.AsString);
        }
        if (a.Kind == EqlValueKind.Boolean && b.Kind == EqlValueKind.Boolean)
        {
            return a.AsBoolean.CompareTo(b.AsBoolean);
        }
        if (a.Kind == EqlValueKind.String && b.IsNumber)
        {
            return CompareTextNumber(a.AsString, b);
        }
        if (b.Kind == EqlValueKind.String && a.IsNumber)
        {
            return -CompareTextNumber(b.AsString, a);
        }
        if (a.Kind == EqlValueKind.Boolean && b.Kind == EqlValueKind.String)
        {
            return string.CompareOrdinal(a.AsBoolean ? "true" : "false", b.AsString);
        }
        if (b.Kind == EqlValueKind.Boolean && a.Kind == EqlValueKind.String)
        {
            return string.CompareOrdinal(a.AsString, b.AsBoolean ? "true" : "false");
        }
        return null;
    }

    private static int? CompareTextNumber(string text, EqlValue number) =>
        double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d)
            ? d.CompareTo(number.AsDouble)
            : null;

    /// <summary>Case-sensitive equality of a scalar with a string literal.</summary>
    public static bool EqualsLoose(EqlValue v, string text) => v.Kind switch
    {
        EqlValueKind.String => string.Equals(v.AsString, text, StringComparison.Ordinal),
        EqlValueKind.Null or EqlValueKind.Array => false,
        _ => Compare(v, EqlValue.From(text)) == 0,
    };
}
