using System.Collections.Immutable;
using Tomlyn;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace Vigil.Rules;

/// <summary>
/// Loads Elastic detection-rule TOML files. Every file is read and checked; a bad file is reported and skipped,
/// never stopping the others, and all problems come back positioned in <see cref="RuleLoadResult.Diagnostics"/>.
/// </summary>
public static class RuleLoader
{
    /// <summary>Loads a file, or every <c>*.toml</c> file under a directory (recursively).</summary>
    /// <param name="path">A file or a directory.</param>
    /// <param name="options">Loader options; <see cref="RuleLoaderOptions.Default"/> when null.</param>
    public static RuleLoadResult Load(string path, RuleLoaderOptions? options = null) => Load([path], options);

    /// <summary>Loads several files and directories together (duplicate <c>rule_id</c>s are checked across all of them).</summary>
    /// <param name="paths">Files and directories.</param>
    /// <param name="options">Loader options; <see cref="RuleLoaderOptions.Default"/> when null.</param>
    public static RuleLoadResult Load(IEnumerable<string> paths, RuleLoaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var inputs = new List<Input>();
        var early = new List<RuleDiagnostic>();
        var unreadable = 0;
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                inputs.AddRange(RuleFiles(path).Select(f => new Input(f, null)));
            }
            else if (File.Exists(path))
            {
                inputs.Add(new Input(path, null));
            }
            else
            {
                early.Add(new RuleDiagnostic(path, 1, 1, RuleDiagnosticCodes.ReadFailed,
                    "no such file or directory", RuleDiagnosticSeverity.Error));
                unreadable++;
            }
        }
        var result = Run(inputs, options ?? RuleLoaderOptions.Default);
        if (early.Count == 0)
        {
            return result;
        }
        return new RuleLoadResult(result.Rules, [.. early, .. result.Diagnostics], result.FileCount + unreadable, result.InvalidCount + unreadable);
    }

    /// <summary>Loads one file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="options">Loader options; <see cref="RuleLoaderOptions.Default"/> when null.</param>
    public static RuleLoadResult LoadFile(string path, RuleLoaderOptions? options = null) => Load([path], options);

    /// <summary>Loads every <c>*.toml</c> file under a directory, recursively, in ordinal path order.</summary>
    /// <param name="path">The directory.</param>
    /// <param name="options">Loader options; <see cref="RuleLoaderOptions.Default"/> when null.</param>
    public static RuleLoadResult LoadDirectory(string path, RuleLoaderOptions? options = null) => Load([path], options);

    /// <summary>Loads a rule from TOML text.</summary>
    /// <param name="toml">The rule file's text.</param>
    /// <param name="sourceName">Name used as the file in diagnostics; <c>&lt;string&gt;</c> when null.</param>
    /// <param name="options">Loader options; <see cref="RuleLoaderOptions.Default"/> when null.</param>
    public static RuleLoadResult LoadString(string toml, string? sourceName = null, RuleLoaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(toml);
        return Run([new Input(sourceName ?? "<string>", toml)], options ?? RuleLoaderOptions.Default);
    }

    /// <summary>Loads several rules given as (source name, TOML text) pairs, such as embedded resources.</summary>
    /// <param name="sources">Source names and texts.</param>
    /// <param name="options">Loader options; <see cref="RuleLoaderOptions.Default"/> when null.</param>
    public static RuleLoadResult LoadStrings(IEnumerable<(string SourceName, string Toml)> sources, RuleLoaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sources);
        return Run([.. sources.Select(s => new Input(s.SourceName, s.Toml))], options ?? RuleLoaderOptions.Default);
    }

    /// <summary>
    /// Rule files under a directory. Symbolic links inside it are not followed: a link back to a parent would otherwise
    /// load every rule again at each level (give a linked directory as its own path instead).
    /// </summary>
    private static IEnumerable<string> RuleFiles(string directory) =>
        Directory.EnumerateFiles(directory, "*.toml", new EnumerationOptions
        {
            RecurseSubdirectories = true,
            AttributesToSkip = FileAttributes.ReparsePoint,
            IgnoreInaccessible = false,
        }).Order(StringComparer.Ordinal);

    private sealed record Input(string Name, string? Text);

    private sealed record Outcome(LoadedRule? Rule, IReadOnlyList<RuleDiagnostic> Diagnostics);

    private static RuleLoadResult Run(IReadOnlyList<Input> inputs, RuleLoaderOptions options)
    {
        // Files are independent until the duplicate-id check, so parse and validate them in parallel;
        // AsOrdered keeps diagnostics in file order whatever the thread timing.
        var strings = new StringPool();
        var outcomes = inputs
            .AsParallel()
            .AsOrdered()
            .Select(input => LoadOne(input, options, strings))
            .ToList();
        if (options.CompileEql && options.EqlFields is not null)
        {
            // A shared field table is filled in file order so slot numbers are the same on every run.
            for (var i = 0; i < outcomes.Count; i++)
            {
                if (outcomes[i].Rule is { QueryError: null } loaded)
                {
                    var sink = new DiagnosticSink(loaded.Rule.Source.Path, null) { RuleId = loaded.Rule.RuleId };
                    var compiled = EqlQueryCompiler.Compile(loaded, sink, options.EqlFields);
                    outcomes[i] = new Outcome(compiled, [.. outcomes[i].Diagnostics, .. sink.Items]);
                }
            }
        }
        var rules = new List<LoadedRule>();
        var diagnostics = new List<RuleDiagnostic>();
        var invalid = 0;
        foreach (var outcome in outcomes)
        {
            diagnostics.AddRange(outcome.Diagnostics);
            if (outcome.Rule is null)
            {
                invalid++;
            }
            else
            {
                rules.Add(outcome.Rule);
            }
        }
        if (options.RejectDuplicateRuleIds)
        {
            invalid += DropDuplicates(rules, diagnostics);
        }
        return new RuleLoadResult([.. rules], [.. diagnostics], inputs.Count, invalid);
    }

    private static Outcome LoadOne(Input input, RuleLoaderOptions options, StringPool strings)
    {
        string text;
        try
        {
            text = input.Text ?? SourceFile.ReadAllText(input.Name);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new Outcome(null, [new RuleDiagnostic(input.Name, 1, 1, RuleDiagnosticCodes.ReadFailed, ex.Message, RuleDiagnosticSeverity.Error)]);
        }
        var sink = new DiagnosticSink(input.Name, text);
        TTable root;
        try
        {
            var document = SyntaxParser.Parse(text, input.Name, validate: true);
            if (document.HasErrors)
            {
                ReportToml(document, sink);
                return new Outcome(null, sink.Items);
            }
            root = TomlTreeBuilder.Build(document, text, strings);
        }
        catch (Exception ex) when (ex is TomlException or InvalidOperationException)
        {
            // Tomlyn throws on some limits (nesting depth) instead of reporting; one bad file must not stop the others.
            var at = ex is TomlException { Line: { } line, Column: { } column } ? new TextPos(line, column) : TextPos.Start;
            sink.Error(at, 1, RuleDiagnosticCodes.TomlSyntax, ex.Message);
            return new Outcome(null, sink.Items);
        }
        var rule = RuleReader.Read(root, sink, input.Name);
        var diagnostics = options.WarnOnUnknownKeys
            ? sink.Items
            : [.. sink.Items.Where(d => d.Code != RuleDiagnosticCodes.UnknownKey)];
        if (rule is null)
        {
            return new Outcome(null, diagnostics);
        }
        var idLocation = RuleIdLocation(root, text);
        var loaded = new LoadedRule(rule, null, null) { RuleIdLocation = idLocation };
        if (options.CompileEql)
        {
            var querySink = new DiagnosticSink(input.Name, text) { RuleId = rule.RuleId };
            loaded = EqlQueryCompiler.Check(loaded, querySink);
            diagnostics = [.. diagnostics, .. querySink.Items];
        }
        return new Outcome(loaded, diagnostics);
    }

    private static (int Line, int Column, string Excerpt) RuleIdLocation(TTable root, string text)
    {
        if (root.Entries.TryGetValue("rule", out var rule) && rule.Value is TTable table &&
            table.Entries.TryGetValue("rule_id", out var id))
        {
            var at = id.Value.Position;
            return (at.Line, at.Column, RuleDiagnostic.MakeExcerpt(text, at.Line, at.Column, id.Value.Width));
        }
        return (1, 1, string.Empty);
    }

    private static void ReportToml(DocumentSyntax document, DiagnosticSink sink)
    {
        // Tomlyn recovers after an error and reports what the recovery stumbles on (an unclosed string makes every
        // later line look wrong), and not in file order. The earliest error is the one to fix, so report only it
        // and say how many followed.
        var errors = document.Diagnostics
            .Where(m => m.Kind == DiagnosticMessageKind.Error)
            .OrderBy(m => m.Span.Start.Offset)
            .ToList();
        if (errors.Count == 0)
        {
            return;
        }
        var first = errors[0];
        var at = TextPos.From(first.Span.Start);
        var width = Math.Max(1, first.Span.End.Offset - first.Span.Start.Offset + 1);
        var message = errors.Count == 1
            ? first.Message
            : $"{first.Message} ({errors.Count - 1} more TOML error(s) after this one not shown)";
        sink.Error(at, width, RuleDiagnosticCodes.TomlSyntax, message);
    }

    /// <summary>Drops every rule whose <c>rule_id</c> an earlier rule already has; returns how many were dropped.</summary>
    internal static int DropDuplicates(List<LoadedRule> rules, List<RuleDiagnostic> diagnostics)
    {
        var seen = new Dictionary<string, LoadedRule>(StringComparer.Ordinal);
        var dropped = 0;
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            if (seen.TryAdd(rule.Rule.RuleId, rule))
            {
                continue;
            }
            var first = seen[rule.Rule.RuleId];
            var (line, column, excerpt) = rule.RuleIdLocation;
            diagnostics.Add(new RuleDiagnostic(rule.Rule.Source.Path, line, column, RuleDiagnosticCodes.DuplicateRuleId,
                $"rule_id '{rule.Rule.RuleId}' is already used by '{first.Rule.Name}' ({first.Rule.Source.Path}); this rule is not loaded",
                RuleDiagnosticSeverity.Error)
            {
                RuleId = rule.Rule.RuleId,
                Excerpt = excerpt,
            });
            rules.RemoveAt(i--);
            dropped++;
        }
        return dropped;
    }
}
