using System.Collections.Immutable;

namespace Vigil.Eql.Syntax;

/// <summary>A 0-based range of characters in the query text.</summary>
public readonly record struct SourceSpan(int Start, int Length)
{
    /// <summary>The first character after the span.</summary>
    public int End => Start + Length;

    /// <summary>The smallest span covering both.</summary>
    public static SourceSpan Cover(SourceSpan a, SourceSpan b)
    {
        var start = Math.Min(a.Start, b.Start);
        return new SourceSpan(start, Math.Max(a.End, b.End) - start);
    }
}

/// <summary>Comparison operators.</summary>
public enum CompareOp { Eq, Neq, Lt, Le, Gt, Ge }

/// <summary>Boolean connectives.</summary>
public enum LogicalOp { And, Or }

/// <summary>Arithmetic operators.</summary>
public enum ArithOp { Add, Sub, Mul, Div, Mod }

/// <summary>String-matching operators that take constant patterns.</summary>
public enum MatchKind
{
    /// <summary><c>like</c> / <c>like~</c>: wildcards <c>*</c> and <c>?</c>.</summary>
    Like,
    /// <summary><c>regex</c> / <c>regex~</c>: whole-string regular expression.</summary>
    Regex,
    /// <summary><c>:</c>: case-insensitive equality with wildcards.</summary>
    Seq,
}

/// <summary>Base of all expression nodes.</summary>
public abstract record Expr(SourceSpan Span);

/// <summary>A constant: string, number, boolean or null.</summary>
public sealed record LiteralExpr(EqlValue Value, SourceSpan Span) : Expr(Span);

/// <summary>A field reference; <paramref name="Optional"/> for <c>?field</c>.</summary>
public sealed record FieldExpr(string Path, bool Optional, SourceSpan Span) : Expr(Span);

/// <summary><c>not</c> expression.</summary>
public sealed record NotExpr(Expr Operand, SourceSpan Span) : Expr(Span);

/// <summary><c>and</c> / <c>or</c>.</summary>
public sealed record LogicalExpr(LogicalOp Op, Expr Left, Expr Right, SourceSpan Span) : Expr(Span);

/// <summary><c>==</c>, <c>!=</c>, <c>&lt;</c>, ...</summary>
public sealed record CompareExpr(CompareOp Op, Expr Left, Expr Right, SourceSpan Span) : Expr(Span);

/// <summary><c>x in (...)</c>, <c>x not in (...)</c>, <c>x in~ (...)</c>.</summary>
public sealed record InExpr(Expr Value, ImmutableArray<Expr> Items, bool Negated, bool CaseInsensitive, SourceSpan Span) : Expr(Span);

/// <summary><c>like</c>, <c>regex</c> and <c>:</c> with one or more constant patterns.</summary>
public sealed record MatchExpr(MatchKind Kind, bool CaseInsensitive, Expr Value, ImmutableArray<LiteralExpr> Patterns, SourceSpan Span) : Expr(Span);

/// <summary>Binary arithmetic.</summary>
public sealed record ArithExpr(ArithOp Op, Expr Left, Expr Right, SourceSpan Span) : Expr(Span);

/// <summary>Unary minus.</summary>
public sealed record NegateExpr(Expr Operand, SourceSpan Span) : Expr(Span);

/// <summary>A function call; <paramref name="CaseInsensitive"/> for the <c>name~(...)</c> form.</summary>
public sealed record CallExpr(string Name, bool CaseInsensitive, ImmutableArray<Expr> Args, SourceSpan NameSpan, SourceSpan Span) : Expr(Span);

/// <summary>Base of query bodies.</summary>
public abstract record QueryBody(SourceSpan Span);

/// <summary><c>category where condition</c>; <see cref="Category"/> is null for <c>any</c>.</summary>
public sealed record EventQuery(string? Category, Expr Condition, SourceSpan CategorySpan, SourceSpan Span) : QueryBody(Span);

/// <summary>One bracketed stage of a sequence or sample, with its own join keys and options.</summary>
public sealed record StageNode(EventQuery Filter, ImmutableArray<Expr> By, int Runs, bool Missing, SourceSpan Span);

/// <summary><c>sequence [by ...] [with maxspan=...] [...] [...] [until [...]]</c>.</summary>
public sealed record SequenceQuery(ImmutableArray<Expr> By, TimeSpan? MaxSpan, ImmutableArray<StageNode> Stages, StageNode? Until, SourceSpan Span) : QueryBody(Span);

/// <summary><c>sample by ... [...] [...]</c>.</summary>
public sealed record SampleQuery(ImmutableArray<Expr> By, ImmutableArray<StageNode> Stages, SourceSpan Span) : QueryBody(Span);

/// <summary>Base of pipes.</summary>
public abstract record PipeNode(SourceSpan Span);

/// <summary><c>| head N</c>.</summary>
public sealed record HeadPipe(int Count, SourceSpan Span) : PipeNode(Span);

/// <summary><c>| tail N</c>.</summary>
public sealed record TailPipe(int Count, SourceSpan Span) : PipeNode(Span);

/// <summary>A whole query: a body and its pipes, with the text it was parsed from.</summary>
public sealed record QueryNode(QueryBody Body, ImmutableArray<PipeNode> Pipes, string Source);
