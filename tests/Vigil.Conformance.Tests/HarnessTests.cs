namespace Vigil.Conformance.Tests;

/// <summary>The harness itself: a wrong id list or wrong join keys fail, deviations are honoured.</summary>
public sealed class HarnessTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vigil-harness-" + Guid.NewGuid().ToString("N"));

    public HarnessTests()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "data"));
        File.WriteAllText(Path.Combine(_dir, "data", "extra.mapping"), """
            # comment line
            { "properties": { "@timestamp": { "type": "date" }, "event_type": { "type": "keyword" }, "sequence": { "type": "long" },
              "event": { "properties": { "category": { "type": "alias", "path": "event_type" } } } } }
            """);
        File.WriteAllText(Path.Combine(_dir, "data", "extra.data"), """
            [
            // a comment
             { "@timestamp": "2", "event_type": "B", "k": "x", "sequence": 2 },
             { "@timestamp": "1", "event_type": "A", "k": "x", "sequence": 1 }
            ]
            """);
        File.WriteAllText(Path.Combine(_dir, "test_extra.toml"), """
            [[queries]]
            name = "right"
            query = 'sequence by k [A where true] [B where true]'
            expected_event_ids = [1, 2]
            join_keys = ["x"]

            [[queries]]
            name = "wrongIds"
            query = 'sequence by k [A where true] [B where true]'
            expected_event_ids = [[2, 1], [1]]

            [[queries]]
            name = "wrongKeys"
            query = 'sequence by k [A where true] [B where true]'
            expected_event_ids = [1, 2]
            join_keys = [null]

            [[queries]]
            name = "shards"
            query = 'A where true'
            expected_event_ids = [7]
            """);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void WrongExpectations_Fail_AndNonEqlDeviationsAreSkipped()
    {
        using var output = new StringWriter();
        var summary = EsConformance.Run(_dir, output, new EsConformanceOptions { Deviations = "shards | non-eql: shard failures\nwrongKeys | known" });
        Assert.Equal(1, summary.Passed);
        Assert.Equal(2, summary.Failed);
        Assert.Equal(1, summary.Skipped);
        Assert.Equal(["test_extra.toml:wrongIds"], summary.UnexpectedFailures);
        var text = output.ToString();
        Assert.Contains("FAIL test_extra.toml:wrongKeys", text, StringComparison.Ordinal);
        Assert.Contains("1 passed, 2 failed, 1 skipped", text, StringComparison.Ordinal);
    }
}
