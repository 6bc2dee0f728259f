using System.Globalization;
using System.Text;

namespace Vigil.Eql;

/// <summary>A syntax or bind error in an EQL query, positioned in the query text.</summary>
/// <param name="Code">Stable error code such as <c>EQL0101</c>.</param>
/// <param name="Message">Human-readable message.</param>
/// <param name="Offset">0-based character offset of the offending token in the query text.</param>
/// <param name="Length">Length of the offending token (at least 1 when rendered).</param>
/// <param name="Line">1-based line in the query text.</param>
/// <param name="Column">1-based column in the query text.</param>
public sealed record EqlDiagnostic(string Code, string Message, int Offset, int Length, int Line, int Column)
{
    /// <summary>Builds a diagnostic from an offset into <paramref name="source"/>, computing line and column.</summary>
    public static EqlDiagnostic At(string source, int offset, int length, string code, string message)
    {
        offset = Math.Clamp(offset, 0, source.Length);
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < offset; i++)
        {
            if (source[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }
        return new EqlDiagnostic(code, message, offset, Math.Max(length, 0), line, offset - lineStart + 1);
    }

    /// <summary>
    /// Renders the diagnostic as <c>file(line,col): error CODE: message</c>, then the source line and a caret under the token.
    /// <paramref name="lineShift"/> and <paramref name="firstLineColumnShift"/> move the position when the query is embedded in a larger file
    /// (the column shift applies only to the query's first line).
    /// </summary>
    public string Render(string source, string? file = null, int lineShift = 0, int firstLineColumnShift = 0)
    {
        var line = Line + lineShift;
        var column = Column + (Line == 1 ? firstLineColumnShift : 0);
        var sb = new StringBuilder();
        var where = file is null
            ? string.Create(CultureInfo.InvariantCulture, $"({line},{column})")
            : string.Create(CultureInfo.InvariantCulture, $"{file}({line},{column})");
        sb.Append(where).Append(": error ").Append(Code).Append(": ").Append(Message).Append('\n');
        var text = SourceLine(source, Line);
        sb.Append("  ").Append(text).Append('\n');
        var width = Math.Max(1, Math.Min(Length, Math.Max(1, text.Length - (Column - 1))));
        sb.Append("  ");
        for (var i = 0; i < Column - 1 && i < text.Length; i++)
        {
            sb.Append(text[i] == '\t' ? '\t' : ' ');
        }
        sb.Append('^', width);
        return sb.ToString();
    }

    private static string SourceLine(string source, int line)
    {
        var lines = source.Split('\n');
        return line - 1 < lines.Length ? lines[line - 1].TrimEnd('\r') : string.Empty;
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"({Line},{Column}): error {Code}: {Message}");
}

/// <summary>Thrown when an EQL query cannot be parsed or bound.</summary>
public sealed class EqlException : Exception
{
    /// <summary>Creates the exception for a diagnostic.</summary>
    public EqlException(EqlDiagnostic diagnostic) : base(diagnostic.ToString()) => Diagnostic = diagnostic;

    /// <summary>The positioned error.</summary>
    public EqlDiagnostic Diagnostic { get; }
}
