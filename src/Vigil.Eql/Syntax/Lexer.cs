using System.Globalization;
using System.Text;

namespace Vigil.Eql.Syntax;

/// <summary>Turns EQL text into tokens. Stops at the first error with a positioned <see cref="EqlException"/>.</summary>
internal sealed class Lexer
{
    private readonly string _src;
    private int _pos;

    public Lexer(string source) => _src = source;

    public static List<Token> Tokenize(string source)
    {
        var lexer = new Lexer(source);
        var tokens = new List<Token>();
        while (true)
        {
            var t = lexer.Next();
            tokens.Add(t);
            if (t.Kind == TokenKind.End)
            {
                return tokens;
            }
        }
    }

    private EqlException Error(int start, int length, string code, string message) =>
        new(EqlDiagnostic.At(_src, start, length, code, message));

    private bool SkipTrivia()
    {
        var skipped = false;
        while (_pos < _src.Length)
        {
            var c = _src[_pos];
            if (char.IsWhiteSpace(c))
            {
                _pos++;
                skipped = true;
            }
            else if (c == '/' && Peek(1) == '/')
            {
                while (_pos < _src.Length && _src[_pos] != '\n')
                {
                    _pos++;
                }
                skipped = true;
            }
            else if (c == '/' && Peek(1) == '*')
            {
                var start = _pos;
                var end = _src.IndexOf("*/", _pos + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    throw Error(start, 2, "EQL0001", "unterminated comment");
                }
                _pos = end + 2;
                skipped = true;
            }
            else
            {
                break;
            }
        }
        return skipped;
    }

    private char Peek(int ahead) => _pos + ahead < _src.Length ? _src[_pos + ahead] : '\0';

    private Token Next()
    {
        var space = SkipTrivia();
        var start = _pos;
        if (_pos >= _src.Length)
        {
            return new Token(TokenKind.End, string.Empty, _src.Length, 0, space);
        }
        var c = _src[_pos];
        Token Simple(TokenKind kind, int len)
        {
            _pos += len;
            return new Token(kind, _src.Substring(start, len), start, len, space);
        }
        switch (c)
        {
            case '(': return Simple(TokenKind.LParen, 1);
            case ')': return Simple(TokenKind.RParen, 1);
            case '[': return Simple(TokenKind.LBracket, 1);
            case ']': return Simple(TokenKind.RBracket, 1);
            case ',': return Simple(TokenKind.Comma, 1);
            case '|': return Simple(TokenKind.Pipe, 1);
            case '?': return Simple(TokenKind.Question, 1);
            case '~': return Simple(TokenKind.Tilde, 1);
            case ':': return Simple(TokenKind.Colon, 1);
            case '+': return Simple(TokenKind.Plus, 1);
            case '-': return Simple(TokenKind.Minus, 1);
            case '*': return Simple(TokenKind.Star, 1);
            case '/': return Simple(TokenKind.Slash, 1);
            case '%': return Simple(TokenKind.Percent, 1);
            case '=':
                return Peek(1) == '=' ? Simple(TokenKind.Eq, 2) : Simple(TokenKind.Assign, 1);
            case '!':
                return Peek(1) == '=' ? Simple(TokenKind.Neq, 2) : Simple(TokenKind.Bang, 1);
            case '<':
                return Peek(1) == '=' ? Simple(TokenKind.Le, 2) : Simple(TokenKind.Lt, 1);
            case '>':
                return Peek(1) == '=' ? Simple(TokenKind.Ge, 2) : Simple(TokenKind.Gt, 1);
            case '"':
                return LexString(space);
            case '\'':
                throw Error(start, 1, "EQL0002", "single quotes are not supported for strings; use double quotes (\"...\")");
            case '`':
                return LexQuotedIdentifier(space);
            case '.':
                if (char.IsAsciiDigit(Peek(1)) && (_pos == 0 || !IsIdentPart(_src[_pos - 1])))
                {
                    return LexNumber(space);
                }
                return Simple(TokenKind.Dot, 1);
        }
        if (char.IsAsciiDigit(c))
        {
            return LexNumber(space);
        }
        if (IsIdentStart(c))
        {
            while (_pos < _src.Length && IsIdentPart(_src[_pos]))
            {
                _pos++;
            }
            return new Token(TokenKind.Identifier, _src[start.._pos], start, _pos - start, space);
        }
        throw Error(start, 1, "EQL0003", $"unexpected character '{c}'");
    }

    internal static bool IsIdentStart(char c) => char.IsLetter(c) || c == '_' || c == '@';

    internal static bool IsIdentPart(char c) => char.IsLetterOrDigit(c) || c == '_' || c == '@';

    private Token LexNumber(bool space)
    {
        var start = _pos;
        var isDecimal = false;
        while (char.IsAsciiDigit(Peek(0)))
        {
            _pos++;
        }
        if (Peek(0) == '.' && char.IsAsciiDigit(Peek(1)))
        {
            isDecimal = true;
            _pos++;
            while (char.IsAsciiDigit(Peek(0)))
            {
                _pos++;
            }
        }
        else if (Peek(0) == '.' && start == _pos)
        {
            _pos++;
        }
        if ((Peek(0) is 'e' or 'E') && (char.IsAsciiDigit(Peek(1)) || ((Peek(1) is '+' or '-') && char.IsAsciiDigit(Peek(2)))))
        {
            isDecimal = true;
            _pos += 2;
            while (char.IsAsciiDigit(Peek(0)))
            {
                _pos++;
            }
        }
        var text = _src[start.._pos];
        if (!isDecimal && !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            // Too large for a long: Elasticsearch reads it as a double.
            isDecimal = true;
        }
        return new Token(isDecimal ? TokenKind.Decimal : TokenKind.Integer, text, start, _pos - start, space);
    }

    private Token LexQuotedIdentifier(bool space)
    {
        var start = _pos;
        _pos++;
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _src.Length)
            {
                throw Error(start, _pos - start, "EQL0004", "unterminated quoted field name (missing closing `)");
            }
            var c = _src[_pos];
            if (c == '`')
            {
                if (Peek(1) == '`')
                {
                    sb.Append('`');
                    _pos += 2;
                    continue;
                }
                _pos++;
                break;
            }
            sb.Append(c);
            _pos++;
        }
        return new Token(TokenKind.QuotedIdentifier, sb.ToString(), start, _pos - start, space);
    }

    private Token LexString(bool space)
    {
        var start = _pos;
        if (string.CompareOrdinal(_src, _pos, "\"\"\"", 0, 3) == 0)
        {
            var end = _src.IndexOf("\"\"\"", _pos + 3, StringComparison.Ordinal);
            if (end < 0)
            {
                throw Error(start, 3, "EQL0005", "unterminated raw string (missing closing \"\"\")");
            }
            // A raw string may end with extra quotes: """a"""" is a" (the last three close it).
            while (end + 3 < _src.Length && _src[end + 3] == '"')
            {
                end++;
            }
            _pos = end + 3;
            return new Token(TokenKind.String, _src[(start + 3)..end], start, _pos - start, space);
        }
        _pos++;
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _src.Length || _src[_pos] == '\n')
            {
                throw Error(start, Math.Max(1, _pos - start), "EQL0006", "unterminated string (missing closing \")");
            }
            var c = _src[_pos];
            if (c == '"')
            {
                _pos++;
                break;
            }
            if (c == '\\')
            {
                var escStart = _pos;
                var n = Peek(1);
                _pos += 2;
                switch (n)
                {
                    case 'n': sb.Append('\n'); break;
                    case 't': sb.Append('\t'); break;
                    case 'r': sb.Append('\r'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'b': sb.Append('\b'); break;
                    case '"': sb.Append('"'); break;
                    case '\'': sb.Append('\''); break;
                    case '\\': sb.Append('\\'); break;
                    case 'u':
                        sb.Append(LexUnicodeEscape(escStart));
                        break;
                    case '\0':
                        throw Error(start, escStart - start + 1, "EQL0006", "unterminated string (missing closing \")");
                    default:
                        throw Error(escStart, 2, "EQL0007", $"invalid escape sequence '\\{n}' (use \\\\ for a backslash)");
                }
                continue;
            }
            sb.Append(c);
            _pos++;
        }
        return new Token(TokenKind.String, sb.ToString(), start, _pos - start, space);
    }

    private string LexUnicodeEscape(int escStart)
    {
        // \u{XXXXXX} as in Elasticsearch EQL (2 to 8 hex digits in braces).
        if (Peek(0) != '{')
        {
            throw Error(escStart, 2, "EQL0008", "invalid unicode escape; expected \\u{hex}");
        }
        var close = _src.IndexOf('}', _pos);
        if (close < 0)
        {
            throw Error(escStart, _src.Length - escStart, "EQL0008", "invalid unicode escape; expected \\u{hex}");
        }
        var hex = _src[(_pos + 1)..close];
        if (hex.Length is < 2 or > 8 || !int.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var cp) || cp > 0x10FFFF || cp is >= 0xD800 and <= 0xDFFF)
        {
            throw Error(escStart, close - escStart + 1, "EQL0008", $"invalid unicode escape '\\u{{{hex}}}'");
        }
        _pos = close + 1;
        return char.ConvertFromUtf32(cp);
    }
}
