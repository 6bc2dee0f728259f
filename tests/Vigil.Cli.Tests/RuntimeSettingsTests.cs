using System.Text.Json.Nodes;

namespace Vigil.Cli.Tests;

public sealed class RuntimeSettingsTests
{
    [Fact]
    public void Vigil_RunsWithTheJitSettingsLoadingAndScanningWereMeasuredWith()
    {
        // Directory.Build.targets sets these for the executables; the reasons and figures are written there.
        var path = Path.Combine(AppContext.BaseDirectory, "vigil.runtimeconfig.json");
        var properties = JsonNode.Parse(File.ReadAllText(path))!["runtimeOptions"]!["configProperties"]!;

        Assert.False(properties["System.Runtime.TieredPGO"]!.GetValue<bool>());
        Assert.Equal(0, properties["System.Runtime.TieredCompilation.CallCountingDelayMs"]!.GetValue<int>());
        Assert.Equal(4096, properties["System.Runtime.TieredCompilation.CallCountThreshold"]!.GetValue<int>());
    }
}
