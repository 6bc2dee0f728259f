using System.Text;
using System.Text.RegularExpressions;

namespace Vigil.Detection;

/// <summary>
/// Renders the Markdown of rule investigation guides for a terminal: headings, paragraphs, nested bullet and numbered
/// lists, fenced and indented code, block quotes, rules, inline code, bold, italics and links, wrapped to a width. Only
/// the subset Elastic's guides use; anything else (tables, HTML) passes through as written, so nothing is ever lost.
/// Plain mode keeps inline code in backticks and underlines headings; ANSI mode uses bold, italics and colour instead.
/// </summary>
public static partial class TerminalMarkdown
{
    private const char Nbsp = '\u00A0';

    /// <summary>The rendered text, lines ending in '\n', each prefixed with <paramref name="indent"/>.</summary>
    public static string Render(string markdown, int width = 100, bool ansi = false, string indent = "")
    {
        ArgumentNullException.ThrowIfNull(markdown);
        var r = new Renderer(Math.Max(width, 20), ansi, indent ?? string.Empty);
        r.Run(markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\t', ' ').Split('\n'));
        return r.Output.ToString();
    }

    [GeneratedRegex(@"^(?<marker>[-*+]|\d{1,9}[.)])(?:\s+(?<text>.*))?$")]
    private static partial Regex ListItem();

    [GeneratedRegex(@"^(?<hashes>#{1,6})(?:\s+(?<text>.*?))?\s*#*\s*$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"^(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,})$")]
    private static partial Regex Rule();

    [GeneratedRegex(@"\x1b\[[0-9;]*m")]
    private static partial Regex AnsiCode();

    private sealed class Renderer(int width, bool ansi, string indent)
    {
        public StringBuilder Output { get; } = new();

        private readonly List<string> _paragraph = [];
        private readonly Stack<int> _listIndents = new();
        private (int Level, string Marker, List<string> Lines)? _item;
        private string? _fence;
        private int _fenceIndent;
        private bool _lastBlank = true;

        public void Run(string[] lines)
        {
            foreach (var raw in lines)
            {
                var line = raw.TrimEnd();
                var lead = line.Length - line.TrimStart().Length;
                var text = line.TrimStart();
                if (_fence is not null)
                {
                    if (text.StartsWith(_fence, StringComparison.Ordinal) && text.Trim('`', '~').Length == 0)
                    {
                        _fence = null;
                        Blank();
                    }
                    else
                    {
                        Code(line.Length >= _fenceIndent && line[.._fenceIndent].Trim().Length == 0 ? line[_fenceIndent..] : text);
                    }
                    continue;
                }
                if (text.Length == 0)
                {
                    FlushParagraph();
                    FlushItem();
                    Blank();
                    continue;
                }
                if (text.StartsWith("```", StringComparison.Ordinal) || text.StartsWith("~~~", StringComparison.Ordinal))
                {
                    FlushAll(keepList: lead > 0);
                    _fence = text[..3];
                    _fenceIndent = lead;
                    continue;
                }
                if (_paragraph.Count > 0 && _item is null && lead < 4 && (text.Trim('=').Length == 0 || text.Trim('-').Length == 0))
                {
                    // Setext heading: the paragraph above is the title.
                    var title = string.Join(' ', _paragraph);
                    _paragraph.Clear();
                    EmitHeading(text[0] == '=' ? 1 : 2, title);
                    continue;
                }
                if (lead < 4 && Heading().Match(text) is { Success: true } h)
                {
                    FlushAll(keepList: false);
                    EmitHeading(h.Groups["hashes"].Length, h.Groups["text"].Value);
                    continue;
                }
                if (lead < 4 && Rule().IsMatch(text))
                {
                    FlushAll(keepList: false);
                    Line(new string(ansi ? '─' : '-', Math.Min(width - indent.Length, 60)));
                    continue;
                }
                if (ListItem().Match(text) is { Success: true } li && (_item is not null || _paragraph.Count == 0 || lead < 4))
                {
                    FlushParagraph();
                    FlushItem();
                    while (_listIndents.Count > 0 && _listIndents.Peek() > lead)
                    {
                        _listIndents.Pop();
                    }
                    if (_listIndents.Count == 0 || _listIndents.Peek() < lead)
                    {
                        _listIndents.Push(lead);
                    }
                    _item = (_listIndents.Count - 1, li.Groups["marker"].Value, [li.Groups["text"].Value]);
                    _lastBlank = false;
                    continue;
                }
                if (text.StartsWith('>'))
                {
                    FlushAll(keepList: false);
                    Wrap(Inline(text.TrimStart('>').Trim()), ansi ? "│ " : "| ", ansi ? "│ " : "| ");
                    continue;
                }
                if (text.StartsWith('|'))
                {
                    FlushAll(keepList: false);
                    Line(text);
                    continue;
                }
                if (_item is { } item && (lead > 0 || !_lastBlank))
                {
                    item.Lines.Add(text);
                    continue;
                }
                if (_paragraph.Count == 0 && _listIndents.Count > 0 && lead > 0 && _lastBlank)
                {
                    // A later paragraph of the last list item: indented like the item's text.
                    var level = _listIndents.Count - 1;
                    _item = (level, string.Empty, [text]);
                    continue;
                }
                if (_paragraph.Count == 0 && lead >= 4)
                {
                    FlushAll(keepList: false);
                    Code(line[4..]);
                    continue;
                }
                if (_paragraph.Count == 0)
                {
                    _listIndents.Clear();
                }
                _paragraph.Add(text);
                _lastBlank = false;
            }
            FlushAll(keepList: false);
        }

        private void FlushAll(bool keepList)
        {
            FlushParagraph();
            FlushItem();
            if (!keepList)
            {
                _listIndents.Clear();
            }
        }

        private void FlushParagraph()
        {
            if (_paragraph.Count == 0)
            {
                return;
            }
            var text = Inline(string.Join(' ', _paragraph));
            _paragraph.Clear();
            Wrap(text, string.Empty, string.Empty);
        }

        private void FlushItem()
        {
            if (_item is not { } item)
            {
                return;
            }
            _item = null;
            var pad = new string(' ', item.Level * 2);
            var bullet = item.Marker.Length == 0 ? "  "
                : char.IsAsciiDigit(item.Marker[0]) ? item.Marker + " "
                : (ansi ? (item.Level % 2 == 0 ? "• " : "◦ ") : (item.Level % 2 == 0 ? "- " : "* "));
            var hanging = pad + new string(' ', bullet.Length);
            Wrap(Inline(string.Join(' ', item.Lines)), pad + bullet, hanging);
        }

        private void EmitHeading(int level, string title)
        {
            FlushAll(keepList: false);
            if (Output.Length > 0 && !_lastBlank)
            {
                Line(string.Empty);
            }
            var text = Inline(title);
            if (ansi)
            {
                Line((level <= 2 ? "\u001b[1;4m" : "\u001b[1m") + text + "\u001b[0m");
            }
            else
            {
                var plain = text.Replace(Nbsp, ' ');
                Line(plain);
                Line(new string(level <= 2 ? '=' : '-', Math.Min(VisibleLength(plain), width - indent.Length)));
            }
            _lastBlank = false;
        }

        private void Code(string text)
        {
            Line("    " + (ansi ? "\u001b[36m" + text + "\u001b[0m" : text));
            _lastBlank = false;
        }

        private void Blank()
        {
            if (!_lastBlank && Output.Length > 0)
            {
                Line(string.Empty);
            }
            _lastBlank = true;
        }

        private void Line(string text)
        {
            Output.Append(text.Length == 0 ? indent.TrimEnd() : indent + text).Append('\n');
            _lastBlank = text.Length == 0;
        }

        /// <summary>Greedy word wrap; code spans hold non-breaking spaces so they stay whole.</summary>
        private void Wrap(string text, string first, string rest)
        {
            var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var line = new StringBuilder(first);
            var lineLength = first.Length;
            var empty = true;
            var max = width - indent.Length;
            foreach (var word in words)
            {
                var w = VisibleLength(word);
                if (!empty && lineLength + 1 + w > max)
                {
                    Line(line.ToString().Replace(Nbsp, ' '));
                    line.Clear().Append(rest);
                    lineLength = rest.Length;
                    empty = true;
                }
                if (!empty)
                {
                    line.Append(' ');
                    lineLength++;
                }
                line.Append(word);
                lineLength += w;
                empty = false;
            }
            Line(line.ToString().Replace(Nbsp, ' '));
        }

        /// <summary>Inline spans: code, bold, italics, links, escapes.</summary>
        private string Inline(string s)
        {
            var sb = new StringBuilder();
            var i = 0;
            while (i < s.Length)
            {
                var c = s[i];
                if (c == '\\' && i + 1 < s.Length && IsEscapable(s[i + 1]))
                {
                    sb.Append(s[i + 1]);
                    i += 2;
                    continue;
                }
                if (c == '`')
                {
                    var ticks = 0;
                    while (i + ticks < s.Length && s[i + ticks] == '`')
                    {
                        ticks++;
                    }
                    var fence = new string('`', ticks);
                    var end = s.IndexOf(fence, i + ticks, StringComparison.Ordinal);
                    if (end > 0)
                    {
                        var code = s[(i + ticks)..end].Trim().Replace(' ', Nbsp);
                        sb.Append(ansi ? "\u001b[36m" + code + "\u001b[0m" : "`" + code + "`");
                        i = end + ticks;
                        continue;
                    }
                    sb.Append(fence);
                    i += ticks;
                    continue;
                }
                if ((c == '*' || c == '_') && i + 1 < s.Length && s[i + 1] == c)
                {
                    var end = s.IndexOf(new string(c, 2), i + 2, StringComparison.Ordinal);
                    if (end > i + 2 && (c == '*' || BoundaryAfter(s, end + 2)))
                    {
                        var inner = Inline(s[(i + 2)..end]);
                        sb.Append(ansi ? "\u001b[1m" + inner + "\u001b[22m" : inner);
                        i = end + 2;
                        continue;
                    }
                }
                if ((c == '*' || c == '_') && i + 1 < s.Length && s[i + 1] != ' ' && (c == '*' || BoundaryBefore(s, i)))
                {
                    var end = s.IndexOf(c, i + 1);
                    if (end > i + 1 && s[end - 1] != ' ' && (c == '*' || BoundaryAfter(s, end + 1)))
                    {
                        var inner = Inline(s[(i + 1)..end]);
                        sb.Append(ansi ? "\u001b[3m" + inner + "\u001b[23m" : inner);
                        i = end + 1;
                        continue;
                    }
                }
                if (c == '[')
                {
                    var close = s.IndexOf("](", i + 1, StringComparison.Ordinal);
                    var paren = close > 0 ? s.IndexOf(')', close + 2) : -1;
                    if (close > 0 && paren > 0)
                    {
                        var label = Inline(s[(i + 1)..close]);
                        var url = s[(close + 2)..paren].Trim();
                        sb.Append(label).Append(" (").Append(ansi ? "\u001b[4m" + url + "\u001b[24m" : url).Append(')');
                        i = paren + 1;
                        continue;
                    }
                }
                if (c == '<' && s.IndexOf('>', i + 1) is var gt and > 0 && s[(i + 1)..gt].Contains("://", StringComparison.Ordinal))
                {
                    sb.Append(s[(i + 1)..gt]);
                    i = gt + 1;
                    continue;
                }
                sb.Append(c);
                i++;
            }
            return sb.ToString();
        }

        private static bool IsEscapable(char c) => char.IsAscii(c) && (char.IsPunctuation(c) || char.IsSymbol(c));

        private static bool BoundaryBefore(string s, int i) => i == 0 || !char.IsLetterOrDigit(s[i - 1]);

        private static bool BoundaryAfter(string s, int i) => i >= s.Length || !char.IsLetterOrDigit(s[i]);
    }

    private static int VisibleLength(string s) => s.Contains('\u001b', StringComparison.Ordinal) ? AnsiCode().Replace(s, string.Empty).Length : s.Length;
}
