using Vigil.Eql;

namespace Vigil.Rules;

/// <summary>Compiles the query of an EQL rule and moves any error to the query's place in the rule file.</summary>
internal static class EqlQueryCompiler
{
    /// <summary>The EQL options a rule asks for: its category, timestamp and tiebreaker fields.</summary>
    public static EqlOptions OptionsFor(DetectionRule rule) => new()
    {
        CategoryField = rule.EffectiveEventCategoryField,
        TimestampField = rule.EffectiveTimestampField,
        TiebreakerField = rule.TiebreakerField,
    };

    /// <summary>
    /// Compiles <paramref name="loaded"/>'s query when it is an EQL rule; returns the rule with its compiled query or
    /// its query error (also added to <paramref name="sink"/>). Other rule types come back unchanged.
    /// </summary>
    public static LoadedRule Compile(LoadedRule loaded, DiagnosticSink sink, FieldTable? fields)
    {
        var rule = loaded.Rule;
        if (rule.Type != RuleType.Eql || rule.Query is null)
        {
            return loaded;
        }
        try
        {
            var query = Eql.Eql.Compile(rule.Query, OptionsFor(rule), fields);
            return new LoadedRule(rule, query, null) { RuleIdLocation = loaded.RuleIdLocation };
        }
        catch (EqlException ex)
        {
            var error = Shift(ex.Diagnostic, rule);
            sink.Add(error);
            return new LoadedRule(rule, null, error) { RuleIdLocation = loaded.RuleIdLocation };
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A crash inside the compiler is its bug, not the rule's; report it at the query and keep loading.
            var (line, column) = (Math.Max(1, rule.Source.QueryLine), Math.Max(1, rule.Source.QueryColumn));
            var error = new RuleDiagnostic(rule.Source.Path, line, column, RuleDiagnosticCodes.QueryCompilerFailed,
                $"the EQL compiler failed on this query: {ex.GetType().Name}: {ex.Message}", RuleDiagnosticSeverity.Error)
            {
                RuleId = rule.RuleId,
            };
            sink.Add(error);
            return new LoadedRule(rule, null, error) { RuleIdLocation = loaded.RuleIdLocation };
        }
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
