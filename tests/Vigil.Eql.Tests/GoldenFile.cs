using System.Text;

namespace Vigil.Eql.Tests;

/// <summary>
/// Golden files: cases separated by <c>### name</c> headers, input and expected output split by a <c>---</c> line.
/// Set VIGIL_UPDATE_GOLDEN=1 to rewrite the expected parts from the actual output.
/// </summary>
internal static class GoldenFile
{
    public sealed record Case(string Name, string Input, string Expected);

    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Golden", name);

    public static string SourcePathOf(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Vigil.Eql.Tests.csproj")))
        {
            dir = dir.Parent;
        }
        return dir is null ? PathOf(name) : Path.Combine(dir.FullName, "Golden", name);
    }

    public static List<Case> Read(string name)
    {
        var cases = new List<Case>();
        var lines = File.ReadAllText(PathOf(name)).Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        string? caseName = null;
        var input = new StringBuilder();
        var expected = new StringBuilder();
        var inExpected = false;
        void Flush()
        {
            if (caseName is not null)
            {
                cases.Add(new Case(caseName, input.ToString().TrimEnd('\n'), expected.ToString().TrimEnd('\n')));
            }
            input.Clear();
            expected.Clear();
            inExpected = false;
        }
        foreach (var line in lines)
        {
            if (line.StartsWith("### ", StringComparison.Ordinal))
            {
                Flush();
                caseName = line[4..].Trim();
            }
            else if (line == "---" && caseName is not null && !inExpected)
            {
                inExpected = true;
            }
            else if (caseName is not null)
            {
                (inExpected ? expected : input).Append(line).Append('\n');
            }
        }
        Flush();
        return cases;
    }

    public static void Check(string name, Func<string, string> run)
    {
        var cases = Read(name);
        Assert.NotEmpty(cases);
        var update = Environment.GetEnvironmentVariable("VIGIL_UPDATE_GOLDEN") == "1";
        var failures = new List<string>();
        var rewritten = new StringBuilder();
        foreach (var c in cases)
        {
            var actual = run(c.Input).Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n');
            rewritten.Append("### ").Append(c.Name).Append('\n').Append(c.Input).Append("\n---\n").Append(actual).Append("\n\n");
            if (actual != c.Expected)
            {
                failures.Add($"case '{c.Name}':\n--- expected\n{c.Expected}\n--- actual\n{actual}");
            }
        }
        if (update)
        {
            File.WriteAllText(SourcePathOf(name), rewritten.ToString());
            return;
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }
}
