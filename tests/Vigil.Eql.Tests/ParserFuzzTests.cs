using Vigil.Eql.Syntax;

namespace Vigil.Eql.Tests;

/// <summary>Random and mutated queries never crash the parser: each yields a tree or a positioned error.</summary>
public sealed class ParserFuzzTests
{
    private static readonly string[] Seeds =
    [
        "process where process.name in (\"apt\", \"yum\") and process.args == \"install\"",
        "sequence by host.id with maxspan=30s [process where true] by a ![file where x : \"*\"] [network where y regex~ \"a.*\"] until [any where z < 5]",
        "sample by host.name [process where startsWith~(process.name, \"p\")] [file where length(file.path) > 3]",
        "process where ?a.b == null and `c d` != \"e\\\"\" and -x * 2 + 1 >= 3 | head 3 | tail 1",
        "any where cidrMatch(source.ip, \"10.0.0.0/8\") or \"\"\"raw\\\"\"\" like~ (\"a\", \"b*\")",
    ];

    private static readonly string[] Fragments =
    [
        "(", ")", "[", "]", "\"", "\"\"\"", "`", "?", "!", "~", ":", "==", "=", "!=", "<", ">=", "+", "-", "*", "/", "%", ",", "|", ".",
        " and ", " or ", " not ", " in ", " like ", " regex ", " where ", " by ", " with ", " until ", "maxspan=", "runs=", " sequence ",
        " sample ", "any", "true", "null", "1", "1.5e3", "-", "\\u{", "\\", "\n", "//", "/*", "x.y", "f(", "length(",
    ];

    [Fact]
    public void Parse_MutatedQueries_NeverCrash()
    {
        var rng = new Random(20261203);
        var parsed = 0;
        var rejected = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var text = Mutate(Seeds[rng.Next(Seeds.Length)], rng);
            if (Try(text))
            {
                parsed++;
            }
            else
            {
                rejected++;
            }
        }
        Assert.True(parsed > 0 && rejected > 0, $"parsed {parsed}, rejected {rejected}");
    }

    [Fact]
    public void Parse_RandomFragmentSoup_NeverCrashes()
    {
        var rng = new Random(7);
        for (var i = 0; i < 20_000; i++)
        {
            var n = rng.Next(1, 20);
            var text = string.Concat(Enumerable.Range(0, n).Select(_ => Fragments[rng.Next(Fragments.Length)]));
            Try(text);
        }
    }

    private static string Mutate(string seed, Random rng)
    {
        var chars = seed.ToList();
        var edits = rng.Next(1, 4);
        for (var e = 0; e < edits; e++)
        {
            var pos = rng.Next(chars.Count + 1);
            switch (rng.Next(3))
            {
                case 0 when chars.Count > 0:
                    chars.RemoveAt(Math.Min(pos, chars.Count - 1));
                    break;
                case 1:
                    chars.InsertRange(pos, Fragments[rng.Next(Fragments.Length)]);
                    break;
                default:
                    if (chars.Count > 0)
                    {
                        var len = rng.Next(1, Math.Min(10, chars.Count) + 1);
                        var start = rng.Next(chars.Count - len + 1);
                        chars.RemoveRange(start, len);
                    }
                    break;
            }
        }
        return new string(chars.ToArray());
    }

    /// <summary>True when the text compiled; false when it was rejected with a well-formed diagnostic.</summary>
    private static bool Try(string text)
    {
        try
        {
            var q = Eql.Compile(text);
            // A tree that parses must print to text that parses to the same tree.
            var printed = Printer.Print(q.Syntax);
            Assert.Equal(printed, Printer.Print(Eql.Parse(printed)));
            return true;
        }
        catch (EqlException ex)
        {
            var d = ex.Diagnostic;
            Assert.InRange(d.Offset, 0, text.Length);
            Assert.True(d.Line >= 1 && d.Column >= 1, text);
            Assert.False(string.IsNullOrWhiteSpace(d.Message));
            _ = d.Render(text, "fuzz.eql");
            return false;
        }
    }
}
