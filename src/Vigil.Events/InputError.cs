using System.Globalization;
using Vigil.Text;

namespace Vigil.Events;

/// <summary>A problem with one input line or file: where it is and what is wrong.</summary>
/// <param name="Source">File name, or <c>-</c> for standard input.</param>
/// <param name="Line">1-based line number (0 when the problem concerns the whole file).</param>
/// <param name="Column">1-based byte column within the line, when known.</param>
/// <param name="Message">What is wrong.</param>
public sealed record InputError(string Source, long Line, long? Column, string Message)
{
    /// <summary>
    /// The error in the clickable <c>file(line,col): error VIG0001: message</c> form, control characters (which the message
    /// may quote from the input line) escaped as <c>\xNN</c>.
    /// </summary>
    public string Render()
    {
        var where = Line <= 0 ? Source
            : Column is { } c ? string.Create(CultureInfo.InvariantCulture, $"{Source}({Line},{c})")
            : string.Create(CultureInfo.InvariantCulture, $"{Source}({Line})");
        return ControlCharacters.Escape($"{where}: error VIG0001: {Message}");
    }
}
