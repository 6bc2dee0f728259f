namespace Vigil.Detection.Tests;

public sealed class TerminalMarkdownTests
{
    [Fact]
    public void Render_HeadingsListsCodeAndEmphasis_Plain()
    {
        const string md = """
            ## Triage and analysis

            ### Possible investigation steps

            - Read the **full** command line (`process.command_line`) and
              the parent's.
            - Check packages:
              - Debian: `/var/log/dpkg.log`;
              - Alpine: `/etc/apk/world`.
            1. First *numbered* step, see [ATT&CK](https://attack.mitre.org/).

            ```sh
            rpm -qa --last | head
            ```
            A paragraph with an\_escaped underscore and snake_case_name.
            """;
        var lines = TerminalMarkdown.Render(md, width: 80).Split('\n');
        Assert.Equal(
        [
            "Triage and analysis",
            "===================",
            "",
            "Possible investigation steps",
            "----------------------------",
            "",
            "- Read the full command line (`process.command_line`) and the parent's.",
            "- Check packages:",
            "  * Debian: `/var/log/dpkg.log`;",
            "  * Alpine: `/etc/apk/world`.",
            "1. First numbered step, see ATT&CK (https://attack.mitre.org/).",
            "",
            "    rpm -qa --last | head",
            "",
            "A paragraph with an_escaped underscore and snake_case_name.",
            "",
        ], lines);
    }

    [Fact]
    public void Render_WrapsWithHangingIndent_AndKeepsCodeSpansWhole()
    {
        var text = TerminalMarkdown.Render("- " + string.Join(' ', Enumerable.Repeat("word", 12)) + " `rpm -qa --last` end", width: 40, indent: "  ");
        var lines = text.TrimEnd('\n').Split('\n');
        Assert.All(lines, l => Assert.True(l.Length <= 40, l));
        Assert.StartsWith("  - word", lines[0], StringComparison.Ordinal);
        Assert.All(lines.Skip(1), l => Assert.StartsWith("    ", l, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("`rpm -qa --last`", StringComparison.Ordinal));
    }

    [Fact]
    public void Render_Ansi_UsesBoldAndColourInsteadOfMarkers()
    {
        var text = TerminalMarkdown.Render("# Title\n\nSome **bold** and `code`.", ansi: true);
        Assert.Contains("\u001b[1;4mTitle\u001b[0m", text, StringComparison.Ordinal);
        Assert.Contains("\u001b[1mbold\u001b[22m", text, StringComparison.Ordinal);
        Assert.Contains("\u001b[36mcode\u001b[0m", text, StringComparison.Ordinal);
        Assert.DoesNotContain("**", text, StringComparison.Ordinal);
        Assert.DoesNotContain("=====", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_UnknownSyntax_PassesThrough()
    {
        var text = TerminalMarkdown.Render("| a | b |\n|---|---|\n| 1 | 2 |\n\n<details>raw</details>");
        Assert.Contains("| a | b |", text, StringComparison.Ordinal);
        Assert.Contains("<details>raw</details>", text, StringComparison.Ordinal);
    }
}
