using System.Collections.Immutable;
using System.Globalization;

namespace Vigil.Eql.Syntax;

/// <summary>
/// Recursive-descent parser for Elasticsearch EQL. Precedence follows Elasticsearch's grammar: <c>or</c> &lt; <c>and</c> &lt;
/// <c>not</c> &lt; comparison &lt; additive &lt; multiplicative &lt; unary minus &lt; predicate (<c>in</c>, <c>like</c>, <c>:</c>, ...)
/// &lt; primary. Stops at the first error.
/// </summary>
internal sealed class Parser
{
    private static readonly FrozenKeywords Keywords = new(
        "and", "or", "not", "in", "like", "regex", "where", "sequence", "sample", "by", "with", "until", "true", "false", "null");

    private readonly string _src;
    private readonly List<Token> _tokens;
    private int _index;

    private Parser(string source)
    {
        _src = source;
        _tokens = Lexer.Tokenize(source);
    }

    public static QueryNode ParseQuery(string source)
    {
        var p = new Parser(source);
        var q = p.Query();
        return q;
    }

    public static Expr ParseExpression(string source)
    {
        var p = new Parser(source);
        var e = p.Expression();
        p.ExpectEnd();
        return e;
    }

    private Token Current => _tokens[_index];

    private Token PeekToken(int ahead) => _tokens[Math.Min(_index + ahead, _tokens.Count - 1)];

    private Token Advance() => _tokens[_index++ < _tokens.Count - 1 ? _index - 1 : _tokens.Count - 1];

    private EqlException Error(Token t, string code, string message) =>
        new(EqlDiagnostic.At(_src, t.Start, Math.Max(1, t.Length), code, message));

    private EqlException Unexpected(string expected)
    {
        var t = Current;
        var found = t.Kind == TokenKind.End ? "end of query" : $"'{_src.Substring(t.Start, t.Length)}'";
        return Error(t, "EQL0101", $"expected {expected} but found {found}");
    }

    private Token Expect(TokenKind kind, string what)
    {
        if (Current.Kind != kind)
        {
            throw Unexpected(what);
        }
        return Advance();
    }

    private bool AcceptKeyword(string keyword)
    {
        if (Current.IsKeyword(keyword))
        {
            Advance();
            return true;
        }
        return false;
    }

    private void ExpectKeyword(string keyword)
    {
        if (!AcceptKeyword(keyword))
        {
            throw Unexpected($"'{keyword}'");
        }
    }

    private void ExpectEnd()
    {
        if (Current.Kind != TokenKind.End)
        {
            throw Unexpected("end of query");
        }
    }

    private QueryNode Query()
    {
        QueryBody body;
        if (Current.IsKeyword("sequence") && PeekToken(1).Kind is TokenKind.Identifier or TokenKind.LBracket && !PeekToken(1).IsKeyword("where"))
        {
            body = Sequence();
        }
        else if (Current.IsKeyword("sample") && !PeekToken(1).IsKeyword("where"))
        {
            body = Sample();
        }
        else
        {
            body = EventQueryNode();
        }
        var pipes = ImmutableArray.CreateBuilder<PipeNode>();
        while (Current.Kind == TokenKind.Pipe)
        {
            pipes.Add(Pipe());
        }
        ExpectEnd();
        return new QueryNode(body, pipes.ToImmutable(), _src);
    }

    private PipeNode Pipe()
    {
        var bar = Advance();
        var name = Current;
        if (name.Kind != TokenKind.Identifier)
        {
            throw Unexpected("a pipe name (head or tail)");
        }
        Advance();
        var lower = name.Text.ToLowerInvariant();
        if (lower is not ("head" or "tail"))
        {
            throw Error(name, "EQL0110", $"unsupported pipe '{name.Text}'; Elasticsearch EQL supports only head and tail");
        }
        var count = 10;
        if (Current.Kind == TokenKind.Integer)
        {
            var n = Advance();
            if (!int.TryParse(n.Text, NumberStyles.None, CultureInfo.InvariantCulture, out count))
            {
                throw Error(n, "EQL0111", $"pipe size '{n.Text}' is too large");
            }
        }
        else if (Current.Kind == TokenKind.Minus)
        {
            throw Error(Current, "EQL0111", "pipe size must be a non-negative integer");
        }
        var span = new SourceSpan(bar.Start, _tokens[_index - 1].End - bar.Start);
        return lower == "head" ? new HeadPipe(count, span) : new TailPipe(count, span);
    }

    private EventQuery EventQueryNode()
    {
        var t = Current;
        string? category;
        switch (t.Kind)
        {
            case TokenKind.Identifier when t.IsKeyword("any"):
                category = null;
                break;
            case TokenKind.Identifier when !Keywords.Contains(t.Text) || t.IsKeyword("sequence") || t.IsKeyword("sample"):
            case TokenKind.String:
            case TokenKind.QuotedIdentifier:
                category = t.Text;
                break;
            default:
                throw Unexpected("an event category (such as process, or any) followed by 'where'");
        }
        Advance();
        ExpectKeyword("where");
        var condition = Expression();
        return new EventQuery(category, condition, new SourceSpan(t.Start, t.Length), SourceSpan.Cover(new SourceSpan(t.Start, t.Length), condition.Span));
    }

    private SequenceQuery Sequence()
    {
        var start = Advance();
        var by = ImmutableArray<Expr>.Empty;
        TimeSpan? maxspan = null;
        for (var i = 0; i < 2; i++)
        {
            if (by.IsEmpty && AcceptKeyword("by"))
            {
                by = JoinKeys();
            }
            else if (maxspan is null && Current.IsKeyword("with"))
            {
                Advance();
                maxspan = MaxSpan();
            }
        }
        var stages = ImmutableArray.CreateBuilder<StageNode>();
        StageNode? until = null;
        while (Current.Kind is TokenKind.LBracket or TokenKind.Bang)
        {
            stages.Add(Stage(allowMissing: true, allowRuns: true));
        }
        if (AcceptKeyword("until"))
        {
            until = Stage(allowMissing: false, allowRuns: false);
        }
        if (stages.Count(s => !s.Missing) + stages.Sum(s => s.Missing ? 0 : s.Runs - 1) < 2 && stages.Count < 2)
        {
            throw Error(Current.Kind == TokenKind.End ? start : Current, "EQL0120", "a sequence needs at least two stages ([...] [...])");
        }
        var last = _tokens[_index - 1];
        return new SequenceQuery(by, maxspan, stages.ToImmutable(), until, new SourceSpan(start.Start, last.End - start.Start));
    }

    private SampleQuery Sample()
    {
        var start = Advance();
        var by = ImmutableArray<Expr>.Empty;
        if (AcceptKeyword("by"))
        {
            by = JoinKeys();
        }
        var stages = ImmutableArray.CreateBuilder<StageNode>();
        while (Current.Kind == TokenKind.LBracket)
        {
            stages.Add(Stage(allowMissing: false, allowRuns: false));
        }
        if (stages.Count < 2)
        {
            throw Error(Current.Kind == TokenKind.End ? start : Current, "EQL0121", "a sample needs at least two stages ([...] [...])");
        }
        var last = _tokens[_index - 1];
        return new SampleQuery(by, stages.ToImmutable(), new SourceSpan(start.Start, last.End - start.Start));
    }

    private ImmutableArray<Expr> JoinKeys()
    {
        var keys = ImmutableArray.CreateBuilder<Expr>();
        keys.Add(Expression());
        while (Current.Kind == TokenKind.Comma)
        {
            Advance();
            keys.Add(Expression());
        }
        return keys.ToImmutable();
    }

    private TimeSpan MaxSpan()
    {
        var name = Current;
        if (!name.IsKeyword("maxspan"))
        {
            throw Unexpected("'maxspan'");
        }
        Advance();
        Expect(TokenKind.Assign, "'='");
        return TimeValue("maxspan");
    }

    private TimeSpan TimeValue(string what)
    {
        var num = Current;
        if (num.Kind != TokenKind.Integer)
        {
            throw Unexpected($"a time value for {what} (such as 30s, 5m or 1h)");
        }
        Advance();
        var value = long.Parse(num.Text, CultureInfo.InvariantCulture);
        var unitToken = Current;
        if (unitToken.Kind != TokenKind.Identifier || unitToken.PrecededBySpace)
        {
            throw Error(unitToken.Kind == TokenKind.End ? num : unitToken, "EQL0122", $"{what} needs a time unit (ms, s, m, h or d), as in {num.Text}s");
        }
        Advance();
        double ms = unitToken.Text switch
        {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => throw Error(unitToken, "EQL0122", $"unknown time unit '{unitToken.Text}'; use ms, s, m, h or d"),
        };
        return TimeSpan.FromMilliseconds(value * ms);
    }

    private StageNode Stage(bool allowMissing, bool allowRuns)
    {
        var start = Current;
        var missing = false;
        if (Current.Kind == TokenKind.Bang)
        {
            if (!allowMissing)
            {
                throw Error(Current, "EQL0123", "a missing-event stage (![...]) is only allowed in a sequence");
            }
            missing = true;
            Advance();
        }
        Expect(TokenKind.LBracket, "'['");
        var filter = EventQueryNode();
        Expect(TokenKind.RBracket, "']'");
        var by = ImmutableArray<Expr>.Empty;
        var runs = 1;
        for (var i = 0; i < 2; i++)
        {
            if (by.IsEmpty && Current.IsKeyword("by"))
            {
                Advance();
                by = JoinKeys();
            }
            else if (Current.IsKeyword("with") && PeekToken(1).IsKeyword("runs") && runs == 1)
            {
                var withTok = Advance();
                if (!allowRuns)
                {
                    throw Error(withTok, "EQL0124", "'with runs' is only allowed on a sequence's event stages");
                }
                Advance();
                Expect(TokenKind.Assign, "'='");
                var n = Expect(TokenKind.Integer, "a number of runs");
                if (!int.TryParse(n.Text, NumberStyles.None, CultureInfo.InvariantCulture, out runs) || runs < 1 || runs > 100)
                {
                    throw Error(n, "EQL0124", "runs must be between 1 and 100");
                }
            }
        }
        var last = _tokens[_index - 1];
        return new StageNode(filter, by, runs, missing, new SourceSpan(start.Start, last.End - start.Start));
    }

    // ---- expressions ----

    private Expr Expression() => Or();

    /// <summary>Deepest nesting of parentheses, <c>not</c>, unary minus and calls; deeper input would exhaust the stack.</summary>
    internal const int MaxNesting = 100;

    /// <summary>Chains of <c>and</c>/<c>or</c> longer than this are built balanced, so later passes recurse only log(n) deep.</summary>
    private const int BalanceThreshold = 16;

    private int _nesting;

    private void Enter(Token at)
    {
        if (++_nesting > MaxNesting)
        {
            throw Error(at, "EQL0107", $"the query is nested more than {MaxNesting} levels deep");
        }
    }

    private void Leave() => _nesting--;

    private void CountTerm(ref int terms)
    {
        if (++terms > MaxNesting)
        {
            throw Error(Current, "EQL0108", $"an arithmetic expression may have at most {MaxNesting} terms");
        }
    }

    private Expr Or() => Chain(LogicalOp.Or, "or", And);

    private Expr And() => Chain(LogicalOp.And, "and", Not);

    private Expr Chain(LogicalOp op, string keyword, Func<Expr> operand)
    {
        var first = operand();
        if (!Current.IsKeyword(keyword))
        {
            return first;
        }
        var terms = new List<Expr> { first };
        while (Current.IsKeyword(keyword))
        {
            Advance();
            terms.Add(operand());
        }
        return Combine(op, terms, 0, terms.Count);
    }

    /// <summary>
    /// Short chains fold to the left as written; long ones (machine-generated rules can have thousands of terms) are
    /// balanced. <c>and</c> and <c>or</c> are associative and evaluation order stays left to right either way.
    /// </summary>
    private static Expr Combine(LogicalOp op, List<Expr> terms, int start, int count)
    {
        if (count <= BalanceThreshold)
        {
            var left = terms[start];
            for (var i = start + 1; i < start + count; i++)
            {
                left = new LogicalExpr(op, left, terms[i], SourceSpan.Cover(left.Span, terms[i].Span));
            }
            return left;
        }
        var half = count / 2;
        var l = Combine(op, terms, start, half);
        var r = Combine(op, terms, start + half, count - half);
        return new LogicalExpr(op, l, r, SourceSpan.Cover(l.Span, r.Span));
    }

    private Expr Not()
    {
        if (Current.IsKeyword("not"))
        {
            var t = Advance();
            Enter(t);
            var operand = Not();
            Leave();
            return new NotExpr(operand, SourceSpan.Cover(new SourceSpan(t.Start, t.Length), operand.Span));
        }
        return Comparison();
    }

    private Expr Comparison()
    {
        var left = Additive();
        CompareOp? op = Current.Kind switch
        {
            TokenKind.Eq => CompareOp.Eq,
            TokenKind.Neq => CompareOp.Neq,
            TokenKind.Lt => CompareOp.Lt,
            TokenKind.Le => CompareOp.Le,
            TokenKind.Gt => CompareOp.Gt,
            TokenKind.Ge => CompareOp.Ge,
            _ => null,
        };
        if (op is null)
        {
            if (Current.Kind == TokenKind.Assign)
            {
                throw Error(Current, "EQL0102", "'=' is not a comparison; use '==' (or ':' for case-insensitive matching)");
            }
            return left;
        }
        Advance();
        var right = Additive();
        var cmp = new CompareExpr(op.Value, left, right, SourceSpan.Cover(left.Span, right.Span));
        if (Current.Kind is TokenKind.Eq or TokenKind.Neq or TokenKind.Lt or TokenKind.Le or TokenKind.Gt or TokenKind.Ge)
        {
            throw Error(Current, "EQL0103", "comparisons cannot be chained; combine them with 'and'");
        }
        return cmp;
    }

    private Expr Additive()
    {
        var left = Multiplicative();
        var terms = 1;
        while (Current.Kind is TokenKind.Plus or TokenKind.Minus)
        {
            CountTerm(ref terms);
            var op = Advance().Kind == TokenKind.Plus ? ArithOp.Add : ArithOp.Sub;
            var right = Multiplicative();
            left = new ArithExpr(op, left, right, SourceSpan.Cover(left.Span, right.Span));
        }
        return left;
    }

    private Expr Multiplicative()
    {
        var left = Unary();
        var terms = 1;
        while (Current.Kind is TokenKind.Star or TokenKind.Slash or TokenKind.Percent)
        {
            CountTerm(ref terms);
            var op = Advance().Kind switch
            {
                TokenKind.Star => ArithOp.Mul,
                TokenKind.Slash => ArithOp.Div,
                _ => ArithOp.Mod,
            };
            var right = Unary();
            left = new ArithExpr(op, left, right, SourceSpan.Cover(left.Span, right.Span));
        }
        return left;
    }

    private Expr Unary()
    {
        if (Current.Kind == TokenKind.Minus && PeekToken(1) is { Kind: TokenKind.Decimal, Text: "9223372036854775808" } min)
        {
            var minus = Advance();
            Advance();
            return new LiteralExpr(EqlValue.From(long.MinValue), new SourceSpan(minus.Start, min.End - minus.Start));
        }
        if (Current.Kind is TokenKind.Minus or TokenKind.Plus)
        {
            var t = Advance();
            Enter(t);
            var operand = Unary();
            Leave();
            var span = SourceSpan.Cover(new SourceSpan(t.Start, t.Length), operand.Span);
            if (t.Kind == TokenKind.Plus)
            {
                return operand;
            }
            // Fold -<number> into a literal so that printing and bounds (long.MinValue) stay exact.
            if (operand is LiteralExpr { Value.IsNumber: true } lit)
            {
                return new LiteralExpr(lit.Value.Kind == EqlValueKind.Long ? EqlValue.From(-lit.Value.AsLong) : EqlValue.From(-lit.Value.AsDouble), span);
            }
            return new NegateExpr(operand, span);
        }
        return Predicated();
    }

    private Expr Predicated()
    {
        var value = Primary();
        var t = Current;
        if (t.IsKeyword("not") && PeekToken(1).IsKeyword("in"))
        {
            Advance();
            Advance();
            if (Current.Kind == TokenKind.Tilde && !Current.PrecededBySpace)
            {
                Advance();
                return InList(value, negated: true, caseInsensitive: true);
            }
            return InList(value, negated: true, caseInsensitive: false);
        }
        if (t.IsKeyword("in"))
        {
            Advance();
            var ci = AcceptTilde();
            return InList(value, negated: false, caseInsensitive: ci);
        }
        if (t.IsKeyword("like") || t.IsKeyword("regex"))
        {
            Advance();
            var ci = AcceptTilde();
            return Match(t.IsKeyword("like") ? MatchKind.Like : MatchKind.Regex, ci, value);
        }
        if (t.Kind == TokenKind.Colon)
        {
            Advance();
            return Match(MatchKind.Seq, caseInsensitive: true, value);
        }
        return value;
    }

    private bool AcceptTilde()
    {
        if (Current.Kind == TokenKind.Tilde && !Current.PrecededBySpace)
        {
            Advance();
            return true;
        }
        return false;
    }

    private InExpr InList(Expr value, bool negated, bool caseInsensitive)
    {
        Expect(TokenKind.LParen, "'(' to start the list");
        var items = ImmutableArray.CreateBuilder<Expr>();
        items.Add(Expression());
        while (Current.Kind == TokenKind.Comma)
        {
            Advance();
            items.Add(Expression());
        }
        var close = Expect(TokenKind.RParen, "',' or ')'");
        return new InExpr(value, items.ToImmutable(), negated, caseInsensitive, SourceSpan.Cover(value.Span, new SourceSpan(close.Start, 1)));
    }

    private MatchExpr Match(MatchKind kind, bool caseInsensitive, Expr value)
    {
        var patterns = ImmutableArray.CreateBuilder<LiteralExpr>();
        int end;
        if (Current.Kind == TokenKind.LParen)
        {
            Advance();
            patterns.Add(Constant());
            while (Current.Kind == TokenKind.Comma)
            {
                Advance();
                patterns.Add(Constant());
            }
            end = Expect(TokenKind.RParen, "',' or ')'").End;
        }
        else
        {
            var c = Constant();
            patterns.Add(c);
            end = c.Span.End;
        }
        return new MatchExpr(kind, caseInsensitive, value, patterns.ToImmutable(), new SourceSpan(value.Span.Start, end - value.Span.Start));
    }

    private LiteralExpr Constant()
    {
        var t = Current;
        if (t.Kind == TokenKind.Minus && PeekToken(1).Kind is TokenKind.Integer or TokenKind.Decimal)
        {
            Advance();
            var n = (LiteralExpr)Primary();
            var span = new SourceSpan(t.Start, n.Span.End - t.Start);
            return new LiteralExpr(n.Value.Kind == EqlValueKind.Long ? EqlValue.From(-n.Value.AsLong) : EqlValue.From(-n.Value.AsDouble), span);
        }
        if (t.Kind is TokenKind.String or TokenKind.Integer or TokenKind.Decimal || t.IsKeyword("true") || t.IsKeyword("false") || t.IsKeyword("null"))
        {
            return (LiteralExpr)Primary();
        }
        throw Unexpected("a constant (a string such as \"value\")");
    }

    private Expr Primary()
    {
        var t = Current;
        var span = new SourceSpan(t.Start, t.Length);
        switch (t.Kind)
        {
            case TokenKind.String:
                Advance();
                return new LiteralExpr(EqlValue.From(t.Text), span);
            case TokenKind.Integer:
                Advance();
                return new LiteralExpr(EqlValue.From(long.Parse(t.Text, CultureInfo.InvariantCulture)), span);
            case TokenKind.Decimal:
                Advance();
                return new LiteralExpr(EqlValue.From(double.Parse(t.Text, NumberStyles.Float, CultureInfo.InvariantCulture)), span);
            case TokenKind.LParen:
            {
                Enter(Advance());
                var inner = Expression();
                Leave();
                var close = Expect(TokenKind.RParen, "')'");
                return inner with { Span = new SourceSpan(t.Start, close.End - t.Start) };
            }
            case TokenKind.Question:
            {
                Advance();
                if (Current.PrecededBySpace || Current.Kind is not (TokenKind.Identifier or TokenKind.QuotedIdentifier))
                {
                    throw Unexpected("a field name right after '?'");
                }
                var field = FieldName();
                return field with { Optional = true, Span = new SourceSpan(t.Start, field.Span.End - t.Start) };
            }
            case TokenKind.QuotedIdentifier:
                return FieldName();
            case TokenKind.Identifier:
                if (t.IsKeyword("true") || t.IsKeyword("false"))
                {
                    Advance();
                    return new LiteralExpr(EqlValue.From(t.IsKeyword("true")), span);
                }
                if (t.IsKeyword("null"))
                {
                    Advance();
                    return new LiteralExpr(EqlValue.Null, span);
                }
                // Elasticsearch allows blanks between a function name and '(' (the public rules write "stringContains (...)");
                // a plain field can never be followed by '(', so this is unambiguous.
                if (!Keywords.Contains(t.Text) && PeekToken(1).Kind == TokenKind.LParen)
                {
                    return Call(ci: false);
                }
                if (!Keywords.Contains(t.Text) && PeekToken(1).Kind == TokenKind.Tilde && !PeekToken(1).PrecededBySpace && PeekToken(2).Kind == TokenKind.LParen)
                {
                    return Call(ci: true);
                }
                if (Keywords.Contains(t.Text))
                {
                    throw Error(t, "EQL0104", $"'{t.Text}' is a keyword; quote the field name with backticks (`{t.Text}`) to use it as a field");
                }
                return FieldName();
            case TokenKind.End:
                throw Unexpected("an expression");
            default:
                throw Unexpected("an expression");
        }
    }

    private CallExpr Call(bool ci)
    {
        var name = Advance();
        if (ci)
        {
            Advance();
        }
        Expect(TokenKind.LParen, "'('");
        Enter(name);
        var args = ImmutableArray.CreateBuilder<Expr>();
        if (Current.Kind != TokenKind.RParen)
        {
            args.Add(Expression());
            while (Current.Kind == TokenKind.Comma)
            {
                Advance();
                args.Add(Expression());
            }
        }
        Leave();
        var close = Expect(TokenKind.RParen, "',' or ')'");
        var nameSpan = new SourceSpan(name.Start, (ci ? name.Length + 1 : name.Length));
        return new CallExpr(name.Text, ci, args.ToImmutable(), nameSpan, new SourceSpan(name.Start, close.End - name.Start));
    }

    private FieldExpr FieldName()
    {
        var first = Advance();
        var parts = new List<string> { first.Text };
        var end = first.End;
        while (Current.Kind == TokenKind.Dot && !Current.PrecededBySpace)
        {
            var dot = Advance();
            var seg = Current;
            if (seg.PrecededBySpace || seg.Kind is not (TokenKind.Identifier or TokenKind.QuotedIdentifier or TokenKind.Integer))
            {
                throw Error(seg.Kind == TokenKind.End ? dot : seg, "EQL0105", "expected a field name part after '.'");
            }
            Advance();
            parts.Add(seg.Text);
            end = seg.End;
        }
        if (Current.Kind == TokenKind.LBracket && !Current.PrecededBySpace)
        {
            throw Error(Current, "EQL0106", "array indexing (field[0]) is not supported by Elasticsearch EQL");
        }
        return new FieldExpr(string.Join('.', parts), false, new SourceSpan(first.Start, end - first.Start));
    }

    private sealed class FrozenKeywords(params string[] words)
    {
        private readonly HashSet<string> _set = new(words, StringComparer.OrdinalIgnoreCase);

        public bool Contains(string word) => _set.Contains(word);
    }
}
