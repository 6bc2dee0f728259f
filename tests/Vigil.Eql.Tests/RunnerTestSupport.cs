using System.Globalization;
using System.Text.Json;
using Vigil.Eql.Execution;

namespace Vigil.Eql.Tests;

/// <summary>
/// Compact event lists for runner tests: <c>"id ts category key"</c> separated by <c>;</c>. <c>ts</c> is epoch milliseconds or
/// <c>-</c> for none; <c>key</c> is a value, <c>x,y</c> for a multi-valued key, or <c>-</c> for an absent key (field <c>k</c>).
/// Results print as <c>1,2|3,4</c>: results separated by <c>|</c>, events by <c>,</c>, a missing-event stage as <c>-</c>.
/// </summary>
internal static class RunnerTestSupport
{
    public static List<TestEvent> Events(string spec)
    {
        var list = new List<TestEvent>();
        foreach (var item in spec.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = item.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var doc = new Dictionary<string, object> { ["id"] = int.Parse(parts[0], CultureInfo.InvariantCulture), ["event"] = new Dictionary<string, object> { ["category"] = parts[2] } };
            if (parts[1] != "-")
            {
                doc["@timestamp"] = long.Parse(parts[1], CultureInfo.InvariantCulture);
            }
            if (parts.Length > 3 && parts[3] != "-")
            {
                var values = parts[3].Split(',');
                doc["k"] = values.Length == 1 ? values[0] : values;
            }
            list.Add(new TestEvent(JsonSerializer.Serialize(doc)));
        }
        return list;
    }

    public static string Run(string query, string events, EqlRunOptions? options = null) => Run(query, events, options, out _);

    public static string Run(string query, string events, EqlRunOptions? options, out EqlRunStats stats)
    {
        var compiled = Eql.Compile(query);
        var runner = new EqlRunner(compiled, options);
        var text = Format(runner.Run(Events(events)));
        stats = runner.Stats;
        return text;
    }

    public static string Format(IEnumerable<EqlResult> results) =>
        string.Join('|', results.Select(r => string.Join(',', r.Events.Select(Id))));

    public static string Id(IEqlEvent? e) => e is null ? "-" : e.Get(new FieldRef("id", 0)).ToString();
}
