namespace Vigil.Rules;

/// <summary>Collects the diagnostics of one file, positioned and with an excerpt of the file's text.</summary>
internal sealed class DiagnosticSink(string? file, string? text)
{
    private readonly List<RuleDiagnostic> _items = [];

    public string? File { get; } = file;

    public string? Text { get; } = text;

    /// <summary>Filled in once read, so every later diagnostic names the rule.</summary>
    public string? RuleId { get; set; }

    public IReadOnlyList<RuleDiagnostic> Items => _items;

    public bool HasErrors => _items.Exists(d => d.IsError);

    public void Error(TextPos at, int width, string code, string message) =>
        Add(at, width, code, message, RuleDiagnosticSeverity.Error);

    public void Warning(TextPos at, int width, string code, string message) =>
        Add(at, width, code, message, RuleDiagnosticSeverity.Warning);

    public void Error(TNode node, string code, string message) => Error(node.Position, node.Width, code, message);

    public void Add(RuleDiagnostic diagnostic) => _items.Add(diagnostic with { RuleId = diagnostic.RuleId ?? RuleId });

    private void Add(TextPos at, int width, string code, string message, RuleDiagnosticSeverity severity) =>
        _items.Add(new RuleDiagnostic(File, at.Line, at.Column, code, message, severity)
        {
            RuleId = RuleId,
            Excerpt = RuleDiagnostic.MakeExcerpt(Text, at.Line, at.Column, width),
        });
}
