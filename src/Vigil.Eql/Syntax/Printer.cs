using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Vigil.Eql.Syntax;

/// <summary>
/// Prints an AST back to EQL, fully parenthesised, so that the printed form shows the tree's shape and parses back to the
/// same tree. Used by golden tests and error messages.
/// </summary>
public static class Printer
{
    /// <summary>Prints a whole query.</summary>
    public static string Print(QueryNode query)
    {
        var sb = new StringBuilder();
        PrintBody(sb, query.Body);
        foreach (var pipe in query.Pipes)
        {
            sb.Append(pipe switch
            {
                HeadPipe h => $" | head {h.Count.ToString(CultureInfo.InvariantCulture)}",
                TailPipe t => $" | tail {t.Count.ToString(CultureInfo.InvariantCulture)}",
                _ => throw new UnreachableException(pipe.GetType().Name),
            });
        }
        return sb.ToString();
    }

    /// <summary>Prints one expression.</summary>
    public static string Print(Expr expr)
    {
        var sb = new StringBuilder();
        PrintExpr(sb, expr);
        return sb.ToString();
    }

    private static void PrintBody(StringBuilder sb, QueryBody body)
    {
        switch (body)
        {
            case EventQuery e:
                PrintEvent(sb, e);
                break;
            case SequenceQuery s:
                sb.Append("sequence");
                PrintBy(sb, s.By);
                if (s.MaxSpan is { } span)
                {
                    sb.Append(" with maxspan=").Append(FormatSpan(span));
                }
                foreach (var stage in s.Stages)
                {
                    PrintStage(sb, stage);
                }
                if (s.Until is { } until)
                {
                    sb.Append(" until");
                    PrintStage(sb, until);
                }
                break;
            case SampleQuery s:
                sb.Append("sample");
                PrintBy(sb, s.By);
                foreach (var stage in s.Stages)
                {
                    PrintStage(sb, stage);
                }
                break;
            default:
                throw new UnreachableException(body.GetType().Name);
        }
    }

    private static string FormatSpan(TimeSpan span)
    {
        var ms = (long)span.TotalMilliseconds;
        return ms % 86_400_000 == 0 ? $"{ms / 86_400_000}d"
            : ms % 3_600_000 == 0 ? $"{ms / 3_600_000}h"
            : ms % 60_000 == 0 ? $"{ms / 60_000}m"
            : ms % 1000 == 0 ? $"{ms / 1000}s"
            : $"{ms}ms";
    }

    private static void PrintBy(StringBuilder sb, IReadOnlyList<Expr> by)
    {
        if (by.Count == 0)
        {
            return;
        }
        sb.Append(" by ");
        for (var i = 0; i < by.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }
            PrintExpr(sb, by[i]);
        }
    }

    private static void PrintStage(StringBuilder sb, StageNode stage)
    {
        sb.Append(stage.Missing ? " ![" : " [");
        PrintEvent(sb, stage.Filter);
        sb.Append(']');
        PrintBy(sb, stage.By);
        if (stage.Runs != 1)
        {
            sb.Append(" with runs=").Append(stage.Runs.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void PrintEvent(StringBuilder sb, EventQuery e)
    {
        sb.Append(e.Category is null ? "any" : IsPlainName(e.Category) ? e.Category : Quote(e.Category));
        sb.Append(" where ");
        PrintExpr(sb, e.Condition);
    }

    private static bool IsPlainName(string s) =>
        s.Length > 0 && Lexer.IsIdentStart(s[0]) && s.All(Lexer.IsIdentPart) && !IsKeyword(s);

    private static bool IsKeyword(string s) => s.ToLowerInvariant() is "and" or "or" or "not" or "in" or "like" or "regex" or "where"
        or "sequence" or "sample" or "by" or "with" or "until" or "true" or "false" or "null" or "any";

    private static void PrintExpr(StringBuilder sb, Expr expr)
    {
        switch (expr)
        {
            case LiteralExpr l:
                sb.Append(Literal(l.Value));
                break;
            case FieldExpr f:
                if (f.Optional)
                {
                    sb.Append('?');
                }
                sb.Append(string.Join('.', f.Path.Split('.').Select(p => IsPlainName(p) || (p.Length > 0 && p.All(char.IsAsciiDigit) && p != f.Path) ? p : "`" + p.Replace("`", "``", StringComparison.Ordinal) + "`")));
                break;
            case NotExpr n:
                sb.Append("(not ");
                PrintExpr(sb, n.Operand);
                sb.Append(')');
                break;
            case LogicalExpr l:
                sb.Append('(');
                PrintExpr(sb, l.Left);
                sb.Append(l.Op == LogicalOp.And ? " and " : " or ");
                PrintExpr(sb, l.Right);
                sb.Append(')');
                break;
            case CompareExpr c:
                sb.Append('(');
                PrintExpr(sb, c.Left);
                sb.Append(' ').Append(Symbol(c.Op)).Append(' ');
                PrintExpr(sb, c.Right);
                sb.Append(')');
                break;
            case InExpr i:
                sb.Append('(');
                PrintExpr(sb, i.Value);
                sb.Append(i.Negated ? " not in" : " in").Append(i.CaseInsensitive ? "~ (" : " (");
                PrintList(sb, i.Items);
                sb.Append("))");
                break;
            case MatchExpr m:
                sb.Append('(');
                PrintExpr(sb, m.Value);
                sb.Append(m.Kind switch
                {
                    MatchKind.Like => m.CaseInsensitive ? " like~ " : " like ",
                    MatchKind.Regex => m.CaseInsensitive ? " regex~ " : " regex ",
                    MatchKind.Seq => " : ",
                    _ => throw new UnreachableException(m.Kind.ToString()),
                });
                if (m.Patterns.Length == 1)
                {
                    PrintExpr(sb, m.Patterns[0]);
                }
                else
                {
                    sb.Append('(');
                    PrintList(sb, m.Patterns);
                    sb.Append(')');
                }
                sb.Append(')');
                break;
            case ArithExpr a:
                sb.Append('(');
                PrintExpr(sb, a.Left);
                sb.Append(a.Op switch { ArithOp.Add => " + ", ArithOp.Sub => " - ", ArithOp.Mul => " * ", ArithOp.Div => " / ", _ => " % " });
                PrintExpr(sb, a.Right);
                sb.Append(')');
                break;
            case NegateExpr n:
                sb.Append("(-");
                PrintExpr(sb, n.Operand);
                sb.Append(')');
                break;
            case CallExpr c:
                sb.Append(c.Name);
                if (c.CaseInsensitive)
                {
                    sb.Append('~');
                }
                sb.Append('(');
                PrintList(sb, c.Args);
                sb.Append(')');
                break;
            default:
                throw new UnreachableException(expr.GetType().Name);
        }
    }

    private static void PrintList<T>(StringBuilder sb, IReadOnlyList<T> items) where T : Expr
    {
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }
            PrintExpr(sb, items[i]);
        }
    }

    internal static string Symbol(CompareOp op) => op switch
    {
        CompareOp.Eq => "==",
        CompareOp.Neq => "!=",
        CompareOp.Lt => "<",
        CompareOp.Le => "<=",
        CompareOp.Gt => ">",
        CompareOp.Ge => ">=",
        _ => throw new UnreachableException(op.ToString()),
    };

    /// <summary>Renders a value as an EQL literal.</summary>
    public static string Literal(EqlValue value) => value.Kind switch
    {
        EqlValueKind.Null => "null",
        EqlValueKind.Boolean => value.AsBoolean ? "true" : "false",
        EqlValueKind.Long => value.AsLong.ToString(CultureInfo.InvariantCulture),
        EqlValueKind.Double => FormatDouble(value.AsDouble),
        EqlValueKind.String => Quote(value.AsString),
        _ => throw new UnreachableException(value.Kind.ToString()),
    };

    private static string FormatDouble(double d)
    {
        var s = d.ToString("R", CultureInfo.InvariantCulture);
        return s.Contains('.', StringComparison.Ordinal) || s.Contains('E', StringComparison.Ordinal) ? s : s + ".0";
    }

    private static string Quote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (char.IsControl(c))
                    {
                        sb.Append("\\u{").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture)).Append('}');
                    }
                    else
                    {
                        sb.Append(c);
                    }
                    break;
            }
        }
        return sb.Append('"').ToString();
    }
}
