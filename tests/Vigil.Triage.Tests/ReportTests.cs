using System.Text.Json;

namespace Vigil.Triage.Tests;

public sealed class ReportTests : IDisposable
{
    private readonly Fixture _fx = new();

    public void Dispose() => _fx.Dispose();

    private TriageReport Sample() => _fx
        .Write("/var/lib/dpkg/status", "Package: bash\nStatus: install ok installed\nVersion: 5.2\n\nPackage: socat\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.7\n")
        .Write("/var/log/dpkg.log", "2024-01-01 00:00:00 install bash:amd64 <none> 5.2\n2024-05-05 05:05:05 install socat:amd64 <none> 1.7\nnot a line\n")
        .Write("/var/log/apt/history.log", "Start-Date: 2024-05-05  05:05:04\nCommandline: apt install socat \u001b[31mred\nEnd-Date: 2024-05-05  05:05:06\n")
        .Run();

    [Fact]
    public void Json_IsAMachineReadableDocument()
    {
        using var doc = JsonDocument.Parse(ReportWriter.ToJson(Sample()));
        var root = doc.RootElement;
        Assert.Equal(_fx.Root, root.GetProperty("root").GetString());
        var socat = root.GetProperty("events").EnumerateArray().Single(e => e.GetProperty("package").GetString() == "socat");
        Assert.Equal("2024-05-05T05:05:05Z", socat.GetProperty("time").GetString());
        Assert.Equal("install", socat.GetProperty("action").GetString());
        Assert.Equal("network-tool", socat.GetProperty("flag").GetString());
        Assert.Equal("/var/log/dpkg.log:2", socat.GetProperty("source").GetString());
        var added = root.GetProperty("added");
        Assert.Equal("earliest-batch", added.GetProperty("method").GetString());
        Assert.Equal("2024-01-01T00:00:00Z", added.GetProperty("image_cutoff").GetString());
        Assert.Equal("socat", Assert.Single(added.GetProperty("packages").EnumerateArray()).GetProperty("name").GetString());
        Assert.Equal(2, root.GetProperty("packages").GetArrayLength());
        var w = Assert.Single(root.GetProperty("warnings").EnumerateArray());
        Assert.Equal(("/var/log/dpkg.log", 3), (w.GetProperty("file").GetString(), w.GetProperty("line").GetInt32()));
    }

    [Fact]
    public void Table_ShowsTimelineAddedAndFlagged_WithoutControlCharacters()
    {
        var text = new StringWriter();
        ReportWriter.WriteTable(Sample(), text);
        var output = text.ToString();
        Assert.DoesNotContain('\u001b', output);
        var lines = output.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("2024-05-05 05:05:05Z", StringComparison.Ordinal) && l.Contains("socat", StringComparison.Ordinal)
            && l.Contains("network-tool", StringComparison.Ordinal) && l.Contains("apt install socat ?[31mred", StringComparison.Ordinal));
        Assert.Contains("ADDED AFTER THE IMAGE (1; installed after the image's first batch, which ended 2024-01-01 00:00:00Z)", output, StringComparison.Ordinal);
        Assert.Contains("FLAGGED PACKAGES PRESENT (2)", output, StringComparison.Ordinal);
        Assert.Contains("packages present: 2 (dpkg 2)", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("curl", ToolKind.NetworkTool)]
    [InlineData("netcat-openbsd:amd64", ToolKind.NetworkTool)]
    [InlineData("nmap-ncat", ToolKind.NetworkTool)]
    [InlineData("curl-minimal", ToolKind.NetworkTool)]
    [InlineData("tor", ToolKind.NetworkTool)]
    [InlineData("python3.11", ToolKind.Interpreter)]
    [InlineData("python3.11-minimal", ToolKind.Interpreter)]
    [InlineData("nodejs", ToolKind.Interpreter)]
    [InlineData("lua5.4", ToolKind.Interpreter)]
    [InlineData("ruby3.1", ToolKind.Interpreter)]
    [InlineData("zsh", ToolKind.Shell)]
    [InlineData("libcurl4", ToolKind.None)]
    [InlineData("python3-requests", ToolKind.None)]
    [InlineData("torsocks", ToolKind.NetworkTool)]
    [InlineData("tortoise", ToolKind.None)]
    public void Catalog_FlagsTheRulesToolsByPackageName(string package, ToolKind kind) =>
        Assert.Equal(kind, ToolCatalog.Classify(package));

    [Theory]
    [InlineData("2h", "2024-05-05T10:00:00Z")]
    [InlineData("30m", "2024-05-05T11:30:00Z")]
    [InlineData("2d", "2024-05-03T12:00:00Z")]
    [InlineData("2024-05-01", "2024-05-01T00:00:00Z")]
    [InlineData("2024-05-01T08:00:00+02:00", "2024-05-01T06:00:00Z")]
    public void Since_AcceptsAgesAndDates(string text, string expected)
    {
        var now = new DateTimeOffset(2024, 5, 5, 12, 0, 0, TimeSpan.Zero);
        Assert.True(TriageOptions.TryParseSince(text, now, out var since));
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), since);
        Assert.False(TriageOptions.TryParseSince("yesterday", now, out _));
    }

    [Theory]
    [InlineData("now-1h", "2024-05-05T11:00:00Z")]
    [InlineData("now-2d", "2024-05-03T12:00:00Z")]
    [InlineData("now", "2024-05-05T12:00:00Z")]
    [InlineData("2024-05-01T08:00:00Z", "2024-05-01T08:00:00Z")]
    public void Since_AcceptsTheSameFormsAsAlertsList(string text, string expected)
    {
        var now = new DateTimeOffset(2024, 5, 5, 12, 0, 0, TimeSpan.Zero);
        Assert.True(TriageOptions.TryParseSince(text, now, out var since, out var error));
        Assert.Null(error);
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), since);
    }

    [Theory]
    [InlineData("99999999d")]
    [InlineData("now-99999999d")]
    [InlineData("9999999d")]
    [InlineData("99999999999999999999999s")]
    public void Since_BeyondTheCalendar_IsOutOfRangeNotACrash(string text)
    {
        var now = new DateTimeOffset(2024, 5, 5, 12, 0, 0, TimeSpan.Zero);
        Assert.False(TriageOptions.TryParseSince(text, now, out _, out var error));
        Assert.StartsWith($"'{text}' is out of range", error, StringComparison.Ordinal);
        Assert.False(TriageOptions.TryParseSince(text, now, out _));
    }

    [Fact]
    public void Warning_ControlCharactersFromTheRoot_AreEscaped()
    {
        var w = new TriageWarning("/var/log/apt/\u001b]0;x\u0007history.log", 3, "Start-Date '\u001b[2J\u009b1m\tx' is not a date");
        Assert.Equal(@"/var/log/apt/\x1b]0;x\x07history.log(3): warning: Start-Date '\x1b[2J\x9b1m" + "\tx' is not a date", w.ToString());
    }
}
