using System.Globalization;
using System.Text;

namespace Vigil.Text;

/// <summary>
/// Makes text quoted from input safe to print on a terminal: control characters (C0 except tab, DEL, C1) become visible
/// <c>\xNN</c> escapes, so an input line cannot move the cursor, retitle the window or ring the bell.
/// </summary>
/// <remarks>
/// Compiled into Vigil.Events and, as a linked file, into Vigil.Rules (neither references the other), so each renders its
/// own diagnostics safely without a new project dependency.
/// </remarks>
internal static class ControlCharacters
{
    /// <summary>Whether <paramref name="c"/> is escaped.</summary>
    public static bool NeedsEscape(char c) => (c < 0x20 && c != '\t') || (c >= 0x7F && c <= 0x9F);

    /// <summary>How many characters <paramref name="c"/> takes once escaped.</summary>
    public static int EscapedLength(char c) => NeedsEscape(c) ? 4 : 1;

    /// <summary><paramref name="text"/> with every control character but tab written as <c>\xNN</c>.</summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Any(NeedsEscape))
        {
            return text;
        }
        var sb = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (NeedsEscape(c))
            {
                sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }

    /// <summary>
    /// A marker line (spaces, tabs and carets under <paramref name="line"/>) moved to stay under the same characters once
    /// <paramref name="line"/> is escaped: each marker character is repeated as often as the character above it grew.
    /// </summary>
    public static string AlignUnder(string line, string marker)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(marker);
        var sb = new StringBuilder(marker.Length + 16);
        for (var i = 0; i < marker.Length; i++)
        {
            sb.Append(marker[i], i < line.Length ? EscapedLength(line[i]) : 1);
        }
        return sb.ToString();
    }

    /// <summary>
    /// Escapes every line of a diagnostic: its first line, and source excerpts with caret lines kept under their text.
    /// </summary>
    public static string EscapeLines(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Any(c => c != '\n' && NeedsEscape(c)))
        {
            return text;
        }
        var lines = text.Split('\n');
        var result = new string[lines.Length];
        for (var i = 0; i < lines.Length; i++)
        {
            result[i] = i > 0 && IsMarker(lines[i]) ? AlignUnder(lines[i - 1], lines[i]) : Escape(lines[i]);
        }
        return string.Join('\n', result);
    }

    private static bool IsMarker(string line) => line.Contains('^', StringComparison.Ordinal) && line.All(c => c is ' ' or '\t' or '^' or '~');
}
