using System.Diagnostics;
using Vigil.Eql.Compilation;
using Vigil.Eql.Functions;
using Vigil.Eql.Syntax;

namespace Vigil.Eql.Semantics;

/// <summary>
/// Checks a parsed query before compilation: functions exist and receive the right number and types of arguments, regular
/// expressions are valid, operands have usable types, and join keys line up across stages. Throws at the first error.
/// </summary>
internal sealed class Binder
{
    private readonly string _src;

    private Binder(string source) => _src = source;

    public static void Bind(QueryNode query)
    {
        var b = new Binder(query.Source);
        b.BindBody(query.Body);
    }

    private EqlException Error(SourceSpan span, string code, string message) =>
        new(EqlDiagnostic.At(_src, span.Start, Math.Max(1, span.Length), code, message));

    private void BindBody(QueryBody body)
    {
        switch (body)
        {
            case EventQuery e:
                BindCondition(e.Condition);
                break;
            case SequenceQuery s:
                if (s.MaxSpan is { } span && span <= TimeSpan.Zero)
                {
                    throw Error(s.Span, "EQL0211", "maxspan must be greater than zero");
                }
                BindStages(s.By, s.Stages, s.Until);
                if (s.Stages.All(st => st.Missing))
                {
                    throw Error(s.Span, "EQL0212", "a sequence needs at least one stage that is not a missing event");
                }
                if (s.Stages[0].Missing && s.Stages.Length > 0 && s.Stages.Length < 2)
                {
                    throw Error(s.Stages[0].Span, "EQL0212", "a sequence cannot consist of a missing event alone");
                }
                break;
            case SampleQuery s:
                BindStages(s.By, s.Stages, null);
                break;
            default:
                throw new UnreachableException(body.GetType().Name);
        }
    }

    private void BindStages(IReadOnlyList<Expr> by, IReadOnlyList<StageNode> stages, StageNode? until)
    {
        foreach (var key in by)
        {
            BindValue(key);
        }
        int? perStage = null;
        foreach (var stage in stages.Append(until).OfType<StageNode>())
        {
            BindCondition(stage.Filter.Condition);
            foreach (var key in stage.By)
            {
                BindValue(key);
            }
            perStage ??= stage.By.Length;
            if (stage.By.Length != perStage)
            {
                throw Error(stage.Span, "EQL0210",
                    $"every stage must have the same number of join keys: this one has {stage.By.Length}, the first has {perStage}");
            }
        }
    }

    private void BindCondition(Expr e)
    {
        var t = BindValue(e);
        if (t is EqlType.String or EqlType.Number)
        {
            throw Error(e.Span, "EQL0201", $"a condition must be boolean, not {Describe(t)}");
        }
    }

    private static string Describe(EqlType t) => t switch
    {
        EqlType.String => "a string",
        EqlType.Number => "a number",
        EqlType.Boolean => "a boolean",
        EqlType.Null => "null",
        _ => "a value",
    };

    private EqlType BindValue(Expr e)
    {
        switch (e)
        {
            case LiteralExpr l:
                return l.Value.Kind switch
                {
                    EqlValueKind.Null => EqlType.Null,
                    EqlValueKind.Boolean => EqlType.Boolean,
                    EqlValueKind.String => EqlType.String,
                    _ => EqlType.Number,
                };
            case FieldExpr:
                return EqlType.Any;
            case NotExpr n:
                BindCondition(n.Operand);
                return EqlType.Boolean;
            case LogicalExpr l:
                BindCondition(l.Left);
                BindCondition(l.Right);
                return EqlType.Boolean;
            case CompareExpr c:
            {
                var lt = BindValue(c.Left);
                var rt = BindValue(c.Right);
                if (c.Op is not (CompareOp.Eq or CompareOp.Neq) && (lt == EqlType.Boolean || rt == EqlType.Boolean))
                {
                    throw Error(c.Span, "EQL0202", $"'{Printer.Symbol(c.Op)}' cannot order booleans");
                }
                if (lt != EqlType.Any && rt != EqlType.Any && lt != EqlType.Null && rt != EqlType.Null && lt != rt)
                {
                    throw Error(c.Span, "EQL0202", $"cannot compare {Describe(lt)} with {Describe(rt)}");
                }
                return EqlType.Boolean;
            }
            case InExpr i:
                BindValue(i.Value);
                foreach (var item in i.Items)
                {
                    BindValue(item);
                }
                return EqlType.Boolean;
            case MatchExpr m:
            {
                var vt = BindValue(m.Value);
                if (m.Kind != MatchKind.Seq && vt is EqlType.Number or EqlType.Boolean)
                {
                    throw Error(m.Value.Span, "EQL0209", $"'{(m.Kind == MatchKind.Like ? "like" : "regex")}' needs a string, not {Describe(vt)}");
                }
                foreach (var p in m.Patterns)
                {
                    if (m.Kind != MatchKind.Seq && p.Value.Kind != EqlValueKind.String)
                    {
                        throw Error(p.Span, "EQL0209", $"a {(m.Kind == MatchKind.Like ? "like" : "regex")} pattern must be a string");
                    }
                    if (m.Kind == MatchKind.Regex && !RegexMatcher.TryValidate(p.Value.AsString, m.CaseInsensitive, out var problem))
                    {
                        throw Error(p.Span, "EQL0208", $"invalid regular expression: {problem}");
                    }
                }
                return EqlType.Boolean;
            }
            case ArithExpr a:
                CheckNumeric(a.Left, BindValue(a.Left));
                CheckNumeric(a.Right, BindValue(a.Right));
                return EqlType.Number;
            case NegateExpr n:
                CheckNumeric(n.Operand, BindValue(n.Operand));
                return EqlType.Number;
            case CallExpr c:
                return BindCall(c);
            default:
                throw new UnreachableException(e.GetType().Name);
        }
    }

    private void CheckNumeric(Expr e, EqlType t)
    {
        if (t is EqlType.String or EqlType.Boolean)
        {
            throw Error(e.Span, "EQL0207", $"arithmetic needs a number, not {Describe(t)}");
        }
    }

    private EqlType BindCall(CallExpr c)
    {
        if (!FunctionRegistry.TryGet(c.Name, out var def))
        {
            var hint = Suggest(c.Name);
            throw Error(c.NameSpan, "EQL0203", $"unknown function '{c.Name}'" + (hint is null ? string.Empty : $"; did you mean '{hint}'?"));
        }
        if (c.CaseInsensitive && !def!.HasInsensitiveForm)
        {
            throw Error(c.NameSpan, "EQL0204", $"function '{def.Name}' has no case-insensitive form ({def.Name}~)");
        }
        if (c.Args.Length < def!.MinArgs || c.Args.Length > def.MaxArgs)
        {
            var expected = def.MinArgs == def.MaxArgs ? $"{def.MinArgs}"
                : def.MaxArgs == int.MaxValue ? $"at least {def.MinArgs}"
                : $"{def.MinArgs} to {def.MaxArgs}";
            throw Error(c.NameSpan, "EQL0205", $"function '{def.Name}' takes {expected} argument{(expected == "1" ? string.Empty : "s")}, but got {c.Args.Length}");
        }
        for (var i = 0; i < c.Args.Length; i++)
        {
            if (i > 0 && string.Equals(def.Name, "cidrMatch", StringComparison.Ordinal)
                && c.Args[i] is LiteralExpr { Value.Kind: EqlValueKind.String } cidr
                && !CidrFunctions.TryParseNetwork(cidr.Value.AsString, out _))
            {
                throw Error(cidr.Span, "EQL0213", $"'{cidr.Value.AsString}' is not an IP network (expected a.b.c.d/n or x:y::/n)");
            }
            var t = BindValue(c.Args[i]);
            var want = def.ArgType(i);
            if (want != EqlType.Any && t != EqlType.Any && t != EqlType.Null && t != want)
            {
                throw Error(c.Args[i].Span, "EQL0206", $"argument {i + 1} of '{def.Name}' must be {Describe(want)}, not {Describe(t)}");
            }
        }
        return def.Returns;
    }

    private static string? Suggest(string name)
    {
        string? best = null;
        var bestDistance = 3;
        foreach (var candidate in FunctionRegistry.Names)
        {
            var d = Distance(name.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (d < bestDistance)
            {
                bestDistance = d;
                best = candidate;
            }
        }
        return best;
    }

    private static int Distance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            prev[j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
