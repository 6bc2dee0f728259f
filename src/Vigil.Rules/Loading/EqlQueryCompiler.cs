using System.Runtime.CompilerServices;
using Vigil.Eql;
using Vigil.Eql.Syntax;

namespace Vigil.Rules;

/// <summary>
/// Checks and compiles the query of an EQL rule and moves any error to the query's place in the rule file. The loader
/// only checks (parses and binds: every error a query can have is found there); the checked syntax is kept beside the
/// rule, so whoever compiles it later (the detection engine into its shared field table, or <see cref="LoadedRule.Query"/>)
/// does not parse the text again.
/// </summary>
internal static class EqlQueryCompiler
{
    /// <summary>
    /// The checked syntax of each loaded rule's query, keyed by the rule instance: a copy made with <c>with</c> is another
    /// instance (its query may differ) and is parsed afresh. An entry lives as long as its rule.
    /// </summary>
    private static readonly ConditionalWeakTable<DetectionRule, QueryNode> Checked = new();

    /// <summary>The EQL options a rule asks for: its category, timestamp and tiebreaker fields.</summary>
    public static EqlOptions OptionsFor(DetectionRule rule) => new()
    {
        CategoryField = rule.EffectiveEventCategoryField,
        TimestampField = rule.EffectiveTimestampField,
        TiebreakerField = rule.TiebreakerField,
    };

    /// <summary>
    /// Checks <paramref name="loaded"/>'s query when it is an EQL rule; returns the rule ready to compile its query on use,
    /// or with its query error (also added to <paramref name="sink"/>). Other rule types come back unchanged.
    /// </summary>
    public static LoadedRule Check(LoadedRule loaded, DiagnosticSink sink)
    {
        var rule = loaded.Rule;
        if (rule.Type != RuleType.Eql || rule.Query is null)
        {
            return loaded;
        }
        try
        {
            Checked.AddOrUpdate(rule, Eql.Eql.Check(rule.Query));
            return LoadedRule.CompiledOnUse(rule, loaded.RuleIdLocation);
        }
        catch (EqlException ex)
        {
            var error = Shift(ex.Diagnostic, rule);
            sink.Add(error);
            return new LoadedRule(rule, null, error) { RuleIdLocation = loaded.RuleIdLocation };
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var error = CompilerFailed(rule, ex);
            sink.Add(error);
            return new LoadedRule(rule, null, error) { RuleIdLocation = loaded.RuleIdLocation };
        }
    }

    /// <summary>
    /// Compiles <paramref name="loaded"/>'s query into <paramref name="fields"/> now, reusing its check (see <see cref="Check"/>);
    /// any error is also added to <paramref name="sink"/>.
    /// </summary>
    public static LoadedRule Compile(LoadedRule loaded, DiagnosticSink sink, FieldTable fields)
    {
        var rule = loaded.Rule;
        if (rule.Type != RuleType.Eql || rule.Query is null)
        {
            return loaded;
        }
        var (query, error) = TryCompile(rule, fields);
        if (error is not null)
        {
            sink.Add(error);
        }
        return new LoadedRule(rule, query, error) { RuleIdLocation = loaded.RuleIdLocation };
    }

    /// <summary>Compiles a rule's query, reusing the loader's check of it when there was one.</summary>
    /// <exception cref="EqlException">The query is not valid EQL.</exception>
    public static CompiledQuery CompileQuery(DetectionRule rule, FieldTable? fields)
    {
        var query = rule.Query ?? throw new InvalidOperationException($"rule '{rule.Name}' has no query");
        var options = OptionsFor(rule);
        return Checked.TryGetValue(rule, out var syntax)
            ? Eql.Eql.CompileChecked(syntax, options, fields ?? new FieldTable())
            : Eql.Eql.Compile(query, options, fields);
    }

    /// <summary>Compiles a rule's query; a query error or a crash of the compiler comes back as a positioned diagnostic.</summary>
    public static (CompiledQuery? Query, RuleDiagnostic? Error) TryCompile(DetectionRule rule, FieldTable? fields)
    {
        try
        {
            return (CompileQuery(rule, fields), null);
        }
        catch (EqlException ex)
        {
            return (null, Shift(ex.Diagnostic, rule));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return (null, CompilerFailed(rule, ex));
        }
    }

    /// <summary>A crash inside the compiler is its bug, not the rule's; it is reported at the query and loading goes on.</summary>
    private static RuleDiagnostic CompilerFailed(DetectionRule rule, Exception ex)
    {
        var (line, column) = (Math.Max(1, rule.Source.QueryLine), Math.Max(1, rule.Source.QueryColumn));
        return new RuleDiagnostic(rule.Source.Path, line, column, RuleDiagnosticCodes.QueryCompilerFailed,
            $"the EQL compiler failed on this query: {ex.GetType().Name}: {ex.Message}", RuleDiagnosticSeverity.Error)
        {
            RuleId = rule.RuleId,
        };
    }

    /// <summary>
    /// Moves a diagnostic positioned in the query text to the rule file: the query's first line is
    /// <see cref="RuleSource.QueryLine"/>, and only on that line do columns shift (by where the text starts).
    /// </summary>
    internal static RuleDiagnostic Shift(EqlDiagnostic diagnostic, DetectionRule rule)
    {
        var source = rule.Source;
        var lineShift = Math.Max(0, source.QueryLine - 1);
        var columnShift = Math.Max(0, source.QueryColumn - 1);
        var line = diagnostic.Line + lineShift;
        var column = diagnostic.Column + (diagnostic.Line == 1 ? columnShift : 0);
        var rendered = diagnostic.Render(rule.Query ?? string.Empty, source.Path, lineShift, columnShift);
        var newline = rendered.IndexOf('\n', StringComparison.Ordinal);
        return new RuleDiagnostic(source.Path, line, column, diagnostic.Code, diagnostic.Message, RuleDiagnosticSeverity.Error)
        {
            RuleId = rule.RuleId,
            Excerpt = newline < 0 ? string.Empty : rendered[(newline + 1)..],
        };
    }
}
