using Vigil.Eql.Compilation;
using Vigil.Eql.Semantics;
using Vigil.Eql.Syntax;

namespace Vigil.Eql;

/// <summary>Which fields carry an event's category, time and order. Defaults match Elasticsearch.</summary>
public sealed record EqlOptions
{
    /// <summary>Default options: <c>event.category</c>, <c>@timestamp</c>, no tiebreaker.</summary>
    public static readonly EqlOptions Default = new();

    /// <summary>Field holding the event category (may be multi-valued).</summary>
    public string CategoryField { get; init; } = "event.category";

    /// <summary>Field holding the event time.</summary>
    public string TimestampField { get; init; } = "@timestamp";

    /// <summary>Optional field that orders events with equal timestamps.</summary>
    public string? TiebreakerField { get; init; }

    /// <summary>
    /// Mapping knowledge: the type of fields whose comparisons need more than their JSON value (dates, versions, IP
    /// addresses). Fields not listed compare by value. The timestamp field is a <see cref="EqlFieldType.Date"/> unless listed.
    /// </summary>
    public IReadOnlyDictionary<string, EqlFieldType>? FieldTypes { get; init; }

    internal EqlFieldType? TypeOf(string path)
    {
        if (FieldTypes is not null && FieldTypes.TryGetValue(path, out var t))
        {
            return t;
        }
        return string.Equals(path, TimestampField, StringComparison.Ordinal) ? EqlFieldType.Date : null;
    }
}

/// <summary>
/// How a field is mapped, where it changes comparisons: dates compare as instants (ISO 8601 strings or epoch milliseconds),
/// versions by semantic-version precedence (invalid versions after valid ones), IP addresses by address.
/// </summary>
public enum EqlFieldType
{
    /// <summary>Exact string (the default for strings).</summary>
    Keyword,
    /// <summary>Integer or floating-point number.</summary>
    Number,
    /// <summary>true or false.</summary>
    Boolean,
    /// <summary>Date: ISO 8601 string or epoch milliseconds, nanosecond precision.</summary>
    Date,
    /// <summary>Software version with semantic-version ordering.</summary>
    Version,
    /// <summary>IPv4 or IPv6 address.</summary>
    Ip,
}

/// <summary>Entry points: parse, check and compile EQL.</summary>
public static class Eql
{
    /// <summary>Parses a query. Throws <see cref="EqlException"/> with a positioned diagnostic on a syntax error.</summary>
    public static QueryNode Parse(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return Parser.ParseQuery(query);
    }

    /// <summary>Parses and binds a query (functions, arity, types, regular expressions) without compiling it.</summary>
    public static QueryNode Check(string query)
    {
        var node = Parse(query);
        Binder.Bind(node);
        return node;
    }

    /// <summary>
    /// Parses, binds and compiles a query. Fields are registered in <paramref name="fields"/> (a new table when null) so that
    /// queries loaded together share field slots. Throws <see cref="EqlException"/> on any error.
    /// </summary>
    public static CompiledQuery Compile(string query, EqlOptions? options = null, FieldTable? fields = null)
    {
        var node = Check(query);
        return CompiledQuery.Create(node, options ?? EqlOptions.Default, fields ?? new FieldTable());
    }

    /// <summary>
    /// Compiles a query that <see cref="Check"/> returned, without parsing and binding it again. The syntax does not depend
    /// on options or field table, so one check serves any number of compilations.
    /// </summary>
    internal static CompiledQuery CompileChecked(QueryNode checkedQuery, EqlOptions options, FieldTable fields) =>
        CompiledQuery.Create(checkedQuery, options, fields);
}

/// <summary>A compiled query: its syntax, the fields it reads and the closures that test events.</summary>
public sealed class CompiledQuery
{
    private CompiledQuery(QueryNode syntax, EqlOptions options, FieldTable table)
    {
        Syntax = syntax;
        Options = options;
        FieldTable = table;
    }

    /// <summary>The parsed query.</summary>
    public QueryNode Syntax { get; }

    /// <summary>The options it was compiled with.</summary>
    public EqlOptions Options { get; }

    /// <summary>The field table its field slots belong to.</summary>
    public FieldTable FieldTable { get; }

    /// <summary>Every field the query reads, including the category field (and timestamp and tiebreaker for sequences and samples).</summary>
    public IReadOnlyList<FieldRef> Fields { get; private set; } = [];

    /// <summary>The categories the query can match; null when some stage is <c>any</c>.</summary>
    public IReadOnlySet<string>? Categories { get; private set; }

    /// <summary>True for a plain <c>category where condition</c> query.</summary>
    public bool IsEventQuery => Syntax.Body is EventQuery;

    /// <summary>The query text.</summary>
    public string Text => Syntax.Source;

    /// <summary>
    /// Literals the text of every event this query can match (or, for sequences and samples, take part in) must contain:
    /// all of the sets, one literal of each. Empty when nothing certain is known (no skipping is then possible).
    /// </summary>
    public IReadOnlyList<LiteralAlternatives> RequiredLiterals { get; private set; } = [];

    /// <summary>
    /// For an event query, the fields whose value decides whether it can match (all of them, conjunctively; see
    /// <see cref="ValueRequirement"/>); empty for sequences, samples and queries where no field's value is certain.
    /// </summary>
    public IReadOnlyList<ValueRequirement> RequiredValues { get; private set; } = [];

    internal FieldRef CategoryField { get; private set; } = null!;

    internal Predicate[] StageFilters { get; private set; } = [];

    internal Evaluator[][] StageKeys { get; private set; } = [];

    internal Predicate? UntilFilter { get; private set; }

    internal Evaluator[] UntilKeys { get; private set; } = [];

    internal Execution.KeyEvaluator[] StageKeyEvaluators { get; private set; } = [];

    internal Execution.KeyEvaluator? UntilKeyEvaluator { get; private set; }

    internal FieldRef? TimestampRef { get; private set; }

    internal FieldRef? TiebreakerRef { get; private set; }

    /// <summary>The field that orders events for this query (its timestamp field).</summary>
    public FieldRef TimestampField => TimestampRef ?? FieldTable.Get(Options.TimestampField);

    /// <summary>The tiebreaker field, when the query has one.</summary>
    public FieldRef? TiebreakerField => TiebreakerRef ?? (Options.TiebreakerField is { } t ? FieldTable.Get(t) : null);

    internal static CompiledQuery Create(QueryNode node, EqlOptions options, FieldTable table)
    {
        var q = new CompiledQuery(node, options, table);
        var compiler = new Compiler(table, options.TypeOf);
        q.CategoryField = compiler.Field(options.CategoryField);
        switch (node.Body)
        {
            case EventQuery e:
                q.StageFilters = [q.CompileFilter(compiler, e)];
                q.RequiredValues = ValueRequirements.Of(e.Condition, table, options.TypeOf);
                q.Categories = e.Category is null ? null : new HashSet<string>(StringComparer.Ordinal) { e.Category };
                break;
            case SequenceQuery s:
                q.CompileStages(compiler, s.By, s.Stages);
                if (s.Until is { } until)
                {
                    q.UntilFilter = q.CompileFilter(compiler, until.Filter);
                    q.UntilKeys = s.By.Concat(until.By).Select(compiler.CompileValue).ToArray();
                    q.UntilKeyEvaluator = new Execution.KeyEvaluator(q.UntilKeys, s.By.Concat(until.By).Select(IsOptionalKey).ToArray());
                }
                break;
            case SampleQuery s:
                q.CompileStages(compiler, s.By, s.Stages);
                break;
        }
        if (node.Body is not EventQuery)
        {
            q.TimestampRef = compiler.Field(options.TimestampField);
            q.TiebreakerRef = options.TiebreakerField is null ? null : compiler.Field(options.TiebreakerField);
        }
        q.Fields = compiler.UsedFields.OrderBy(f => f.Slot).ToArray();
        q.RequiredLiterals = node.Body switch
        {
            EventQuery e => LiteralRequirements.Of(e, true, options.TypeOf),
            SequenceQuery s => LiteralRequirements.AnyOf(s.Stages.Append(s.Until).OfType<StageNode>().Select(st => LiteralRequirements.Of(st.Filter, true, options.TypeOf))),
            SampleQuery s => LiteralRequirements.AnyOf(s.Stages.Select(st => LiteralRequirements.Of(st.Filter, true, options.TypeOf))),
            _ => [],
        };
        return q;
    }

    private void CompileStages(Compiler compiler, IReadOnlyList<Expr> by, IReadOnlyList<StageNode> stages)
    {
        StageFilters = stages.Select(s => CompileFilter(compiler, s.Filter)).ToArray();
        StageKeys = stages.Select(s => by.Concat(s.By).Select(compiler.CompileValue).ToArray()).ToArray();
        StageKeyEvaluators = stages.Select((s, i) => new Execution.KeyEvaluator(StageKeys[i], by.Concat(s.By).Select(IsOptionalKey).ToArray())).ToArray();
        Categories = stages.Any(s => s.Filter.Category is null)
            ? null
            : stages.Select(s => s.Filter.Category!).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>A <c>?field</c> join key may be null and then joins with null; any other null key drops the event.</summary>
    private static bool IsOptionalKey(Expr key) => key is FieldExpr { Optional: true };

    private Predicate CompileFilter(Compiler compiler, EventQuery e)
    {
        var condition = compiler.CompileCondition(e.Condition);
        if (e.Category is null)
        {
            return condition;
        }
        var category = e.Category;
        var field = CategoryField;
        // Built once: a lambda created inside the filter would allocate on every event.
        Func<EqlValue, bool> isCategory = x => x.Kind == EqlValueKind.String && string.Equals(x.AsString, category, StringComparison.Ordinal);
        return ev => Compiler.AnyItem(ev.Get(field), isCategory)
            && condition(ev);
    }

    /// <summary>
    /// Whether <paramref name="e"/> passes the filter of at least one stage (or the <c>until</c> stage): events that do not can
    /// never take part in a result, so batch callers need not keep or order them.
    /// </summary>
    public bool CouldMatch(IEqlEvent e)
    {
        foreach (var filter in StageFilters)
        {
            if (filter(e))
            {
                return true;
            }
        }
        return UntilFilter is { } until && until(e);
    }

    /// <summary>Tests an event against an event query (category and condition).</summary>
    /// <exception cref="InvalidOperationException">The query is a sequence or a sample.</exception>
    public bool Matches(IEqlEvent e)
    {
        if (!IsEventQuery)
        {
            throw new InvalidOperationException("sequence and sample queries match groups of events; run them with a query runner");
        }
        return StageFilters[0](e);
    }
}
