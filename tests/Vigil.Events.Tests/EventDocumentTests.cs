using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vigil.Events.Generation;

namespace Vigil.Events.Tests;

/// <summary>
/// The document an alert is built from: the fast parse (a lazily materialised document) must give the same object as the
/// lenient reader, read, changed and written, for every line; lines only the lenient reader can take must still parse.
/// </summary>
public sealed class EventDocumentTests
{
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, MaxDepth = 300 };

    private static IEnumerable<byte[]> Lines()
    {
        using var ms = new MemoryStream();
        new EventGenerator(5).Write(ms, 400);
        foreach (var line in Encoding.UTF8.GetString(ms.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            yield return Encoding.UTF8.GetBytes(line);
        }
        foreach (var text in new[]
        {
            """{"a":1,"a":2}""",
            """{"event":{"kind":"event","kind":"alert"},"x":[1,2],"x":3}""",
            """{"\u0070rocess":{"name":"a\u00e9\n\"b"},"s":"\/path","e":"\ud83d\ude00"}""",
            """{"n":1e400,"m":-0,"f":1.50,"big":123456789012345678901234567890,"t":true,"z":null,"arr":[[1,[2]],{"k":"v"}]}""",
            """{"event.kind":"event","event":{"category":["process"]},"data_stream.dataset":"x","kibana.alert.rule.name":"forged","_id":"1"}""",
            """  {"spaced" : [ 1 , 2 ] , "o" : { } , "a" : [ ] }  """,
            """{"lone":"a\ud800b","low":"\udc00","pair":"\ud83d\ude00"}""",
            """{"deep":""" + string.Concat(Enumerable.Repeat("""{"d":""", 100)) + "1" + new string('}', 100) + "}",
        })
        {
            yield return Encoding.UTF8.GetBytes(text);
        }
        // Invalid UTF-8 inside a string: only the lenient reader takes it (with replacement characters).
        var bad = Encoding.UTF8.GetBytes("""{"host":{"name":"node-X"},"k":"v"}""");
        bad[Array.IndexOf(bad, (byte)'X')] = 0xFE;
        yield return bad;
    }

    [Fact]
    public void FastParse_EqualsTheLenientReader_AsReadAndAsWritten()
    {
        var count = 0;
        foreach (var line in Lines())
        {
            var expected = LenientJson.ParseObject(line);
            var actual = LenientJson.ParseEvent(line);
            Assert.True(JsonNode.DeepEquals(expected, actual), Encoding.UTF8.GetString(line));
            Assert.Equal(expected.ToJsonString(Relaxed), actual.ToJsonString(Relaxed));
            count++;
        }
        Assert.True(count > 400);
    }

    [Fact]
    public void FastParse_ChangedAsAnAlertChangesIt_WritesWhatTheLenientReaderWrites()
    {
        foreach (var line in Lines())
        {
            string Changed(JsonObject doc)
            {
                doc.Remove("_id");
                if (doc["event"] is JsonObject ev)
                {
                    ev.Remove("kind");
                }
                doc["event.kind"] = "signal";
                doc["@timestamp"] = "2026-12-04T00:00:00.000Z";
                if (doc["process"]?["parent"] is JsonObject parent)
                {
                    parent["name"] = "changed";
                }
                doc["kibana.alert.uuid"] = "u";
                return doc.ToJsonString(Relaxed);
            }
            Assert.Equal(Changed(LenientJson.ParseObject(line)), Changed(LenientJson.ParseEvent(line)));
        }
    }

    [Fact]
    public void RepeatedKeys_AreMergedIntoArrays_AsElasticsearchIndexesThem()
    {
        var doc = LenientJson.ParseEvent("""{"user":{"name":"a"},"user":{"name":"b"},"k":1,"k":[2,3]}"""u8);
        Assert.Equal("""[{"name":"a"},{"name":"b"}]""", doc["user"]!.ToJsonString());
        Assert.Equal("[1,2,3]", doc["k"]!.ToJsonString());
    }
}
