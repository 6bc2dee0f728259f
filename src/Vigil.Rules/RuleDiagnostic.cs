using System.Globalization;
using System.Text;
using Vigil.Text;

namespace Vigil.Rules;

/// <summary>How serious a <see cref="RuleDiagnostic"/> is.</summary>
public enum RuleDiagnosticSeverity
{
    /// <summary>The rule (or file) cannot be used.</summary>
    Error,

    /// <summary>The rule loads, but something deserves attention.</summary>
    Warning,
}

/// <summary>
/// A problem found while loading a rule file, positioned in that file (1-based line and column).
/// </summary>
/// <param name="File">Path or source name of the rule file; <see langword="null"/> when unknown.</param>
/// <param name="Line">1-based line of the offending key or value; 0 when the problem concerns the whole file.</param>
/// <param name="Column">1-based column of the offending key or value.</param>
/// <param name="Code">Stable code such as <c>RULE010</c>, or an <c>EQL…</c> code for query errors.</param>
/// <param name="Message">Human-readable message.</param>
/// <param name="Severity">Error or warning.</param>
public sealed record RuleDiagnostic(string? File, int Line, int Column, string Code, string Message, RuleDiagnosticSeverity Severity)
{
    /// <summary>The <c>rule_id</c> of the rule concerned, when it could be read.</summary>
    public string? RuleId { get; init; }

    /// <summary>
    /// Lines shown under the first line of <see cref="Render"/>: the source line and a caret under the offending text.
    /// Empty when the position has no useful source text (for example an I/O error).
    /// </summary>
    public string Excerpt { get; init; } = string.Empty;

    /// <summary><see langword="true"/> for <see cref="RuleDiagnosticSeverity.Error"/>.</summary>
    public bool IsError => Severity == RuleDiagnosticSeverity.Error;

    /// <summary>
    /// Renders <c>path(line,col): error CODE: message</c> (the MSBuild form that IDEs and CI logs make clickable),
    /// followed by <see cref="Excerpt"/> when there is one. Control characters (quoted from the file) are escaped as
    /// <c>\xNN</c>, with the caret kept under the text it marks.
    /// </summary>
    public string Render()
    {
        var head = ToString();
        return ControlCharacters.EscapeLines(Excerpt.Length == 0 ? head : head + "\n" + Excerpt);
    }

    /// <summary>The first line of <see cref="Render"/> (control characters escaped).</summary>
    public override string ToString()
    {
        var severity = Severity == RuleDiagnosticSeverity.Error ? "error" : "warning";
        // Line 0: the problem is the file as a whole (it cannot be read), so no position is given.
        return ControlCharacters.Escape(Line <= 0
            ? $"{File}: {severity} {Code}: {Message}"
            : string.Create(CultureInfo.InvariantCulture, $"{File}({Line},{Column}): {severity} {Code}: {Message}"));
    }

    /// <summary>Builds the two-line excerpt (source line, caret) for a 1-based position in <paramref name="source"/>.</summary>
    internal static string MakeExcerpt(string? source, int line, int column, int width)
    {
        if (source is null || line < 1)
        {
            return string.Empty;
        }
        var text = LineText(source, line);
        if (text is null)
        {
            return string.Empty;
        }
        var sb = new StringBuilder();
        sb.Append("  ").Append(text).Append('\n').Append("  ");
        // Pad from the error line itself so tabs line up the caret the way the terminal shows the line.
        for (var i = 0; i < column - 1 && i < text.Length; i++)
        {
            sb.Append(text[i] == '\t' ? '\t' : ' ');
        }
        var available = Math.Max(1, text.Length - (column - 1));
        sb.Append('^', Math.Clamp(width, 1, available));
        return sb.ToString();
    }

    private static string? LineText(string source, int line)
    {
        var start = 0;
        for (var current = 1; current < line; current++)
        {
            var next = source.IndexOf('\n', start);
            if (next < 0)
            {
                return null;
            }
            start = next + 1;
        }
        var end = source.IndexOf('\n', start);
        var text = end < 0 ? source[start..] : source[start..end];
        return text.TrimEnd('\r');
    }
}
