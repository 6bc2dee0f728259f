namespace Vigil.Eql.Syntax;

internal enum TokenKind
{
    End,
    Identifier,      // process, process.name parts, keywords are identifiers with a keyword flag
    QuotedIdentifier, // `field name`
    String,
    Integer,
    Decimal,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    Pipe,
    Question,
    Bang,
    Tilde,
    Colon,
    Eq,       // ==
    Assign,   // =
    Neq,      // !=
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
}

/// <summary>One lexical token. <see cref="Text"/> is the decoded value for strings and identifiers.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, int Start, int Length, bool PrecededBySpace)
{
    public int End => Start + Length;

    public bool IsKeyword(string keyword) => Kind == TokenKind.Identifier && string.Equals(Text, keyword, StringComparison.OrdinalIgnoreCase);
}
