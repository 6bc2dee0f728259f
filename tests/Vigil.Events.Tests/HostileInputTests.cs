using System.Text;
using System.Text.Json.Nodes;
using Vigil.Eql;

namespace Vigil.Events.Tests;

/// <summary>Field content an attacker controls must never hide an event or crash the reader.</summary>
public sealed class HostileInputTests
{
    private static (FieldTable, FieldProjection) Fields(params string[] paths)
    {
        var table = new FieldTable();
        foreach (var p in paths)
        {
            table.Get(p);
        }
        return (table, new FieldProjection(table));
    }

    [Fact]
    public void InvalidUtf8InAField_IsDecodedWithReplacement_NotRejected()
    {
        var (table, projection) = Fields("host.name", "process.name");
        var bytes = Encoding.UTF8.GetBytes("{\"host\":{\"name\":\"k8s-X-node\"},\"process\":{\"name\":\"apt\"}}");
        bytes[Array.IndexOf(bytes, (byte)'X')] = 0xFF;
        var e = EventRecord.FromJson(bytes, projection);
        Assert.Equal("k8s-\uFFFD-node", e.Get(table.Get("host.name")).AsString);
        Assert.Equal("apt", e.Get(table.Get("process.name")).AsString);
        Assert.Equal("k8s-\uFFFD-node", e.ToJsonObject()["host"]!["name"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"s":"a\ud800b"}""", "a\uFFFDb")]
    [InlineData("""{"s":"a\udc00"}""", "a\uFFFD")]
    [InlineData("""{"s":"\ud83d\ude00 ok"}""", "\U0001F600 ok")]
    [InlineData("""{"s":"tab\tand \"quote\" \u00e9"}""", "tab\tand \"quote\" é")]
    public void LoneSurrogateEscapes_AreReplaced(string json, string expected)
    {
        var (table, projection) = Fields("s");
        var e = EventRecord.FromJson(Encoding.UTF8.GetBytes(json), projection);
        Assert.Equal(expected, e.Get(table.Get("s")).AsString);
        Assert.Equal(expected, e.ToJsonObject()["s"]!.GetValue<string>());
    }

    [Fact]
    public void DuplicateKeys_KeepBothValues_InMatchingAndInTheDocument()
    {
        var (table, projection) = Fields("event.action");
        var e = EventRecord.FromJson("""{"event":{"action":"exec"},"event":{"action":"fork"},"x":1,"x":[2,3]}"""u8, projection);
        Assert.Equal(["exec", "fork"], e.Get(table.Get("event.action")).AsArray.ToArray().Select(v => v.AsString));
        var doc = e.ToJsonObject();
        var events = Assert.IsType<JsonArray>(doc["event"]);
        Assert.Equal(2, events.Count);
        Assert.Equal([1, 2, 3], doc["x"]!.AsArray().Select(n => n!.GetValue<int>()));
    }
}
