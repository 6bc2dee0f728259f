using Xunit.Abstractions;

namespace Vigil.Conformance.Tests;

public sealed class EsConformanceTests(ITestOutputHelper output)
{
    [Fact]
    public void ElasticsearchSuite_HasNoUnexpectedFailures()
    {
        var dir = EsConformance.Locate();
        if (dir is null)
        {
            output.WriteLine("shared/conformance/es not found (set VIGIL_CONFORMANCE); conformance not run");
            return;
        }
        using var writer = new StringWriter();
        var summary = EsConformance.Run(dir, writer, new EsConformanceOptions { Filter = Environment.GetEnvironmentVariable("VIGIL_CONFORMANCE_FILTER") });
        output.WriteLine(writer.ToString());
        var report = Environment.GetEnvironmentVariable("VIGIL_CONFORMANCE_REPORT");
        if (!string.IsNullOrEmpty(report))
        {
            File.WriteAllText(report, writer.ToString());
        }
        Assert.True(summary.Passed > 0, "no case ran");
        Assert.Empty(summary.UnexpectedFailures);
    }
}
