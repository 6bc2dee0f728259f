using System.Text;
using System.Text.Json;
using Vigil.Eql;
using Vigil.Events.Generation;

namespace Vigil.Events.Tests;

/// <summary>
/// The hand-written projection scanner against the reference <see cref="Utf8JsonReader"/> projection: whatever line the
/// scanner accepts, the reader must accept too and project to the same values; a line the reader rejects must never be
/// accepted (it is then reported by the reader, as before). Checked on generated events, hand-made edge cases and
/// thousands of random corruptions of real lines.
/// </summary>
public sealed class FastProjectionTests
{
    private static readonly string[] Paths =
    [
        "@timestamp", "event.category", "event.type", "event.action", "process.name", "process.args", "process.pid",
        "process.interactive", "process.parent.name", "process.entry_leader.entry_meta.type", "container.id",
        "host.os.type", "user.name", "cloud_defend.package_policy_revision", "a.b", "n", "d", "s", "x",
    ];

    private static readonly (FieldTable Table, FieldProjection Projection) Fields = Build();

    private static (FieldTable, FieldProjection) Build()
    {
        var table = new FieldTable();
        foreach (var p in Paths)
        {
            table.Get(p);
        }
        return (table, new FieldProjection(table));
    }

    /// <summary>Null when the reader rejects the line; else its values.</summary>
    private static EqlValue[]? Reference(byte[] line)
    {
        var values = new EqlValue[Fields.Projection.SlotCount];
        try
        {
            JsonProjector.ProjectWithReader(line, Fields.Projection, values);
            return values;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Null when the scanner leaves the line to the reader; else its values.</summary>
    private static EqlValue[]? Fast(byte[] line)
    {
        var values = new EqlValue[Fields.Projection.SlotCount];
        return JsonProjector.TryProjectFast(line, Fields.Projection, values) ? values : null;
    }

    private static void AssertAgrees(byte[] line)
    {
        var fast = Fast(line);
        if (fast is null)
        {
            return;
        }
        var reference = Reference(line);
        Assert.True(reference is not null, "the scanner accepted a line the reader rejects: " + Encoding.UTF8.GetString(line));
        for (var i = 0; i < fast.Length; i++)
        {
            Assert.True(Same(fast[i], reference[i]), $"{Paths[i]}: {fast[i]} vs {reference[i]} in {Encoding.UTF8.GetString(line)}");
        }
    }

    private static bool Same(EqlValue a, EqlValue b)
    {
        if (a.Kind != b.Kind)
        {
            return false;
        }
        return a.Kind switch
        {
            EqlValueKind.Array => a.AsArray.Length == b.AsArray.Length && a.AsArray.ToArray().Zip(b.AsArray.ToArray()).All(p => Same(p.First, p.Second)),
            EqlValueKind.Double => a.AsDouble.Equals(b.AsDouble),
            _ => a.Equals(b),
        };
    }

    private static List<byte[]> GeneratedLines(int count, int seed)
    {
        var ms = new MemoryStream();
        new EventGenerator(seed).Write(ms, count);
        return Encoding.UTF8.GetString(ms.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Encoding.UTF8.GetBytes).ToList();
    }

    [Fact]
    public void GeneratedEvents_AreAllTakenByTheScanner_WithTheReadersValues()
    {
        var lines = GeneratedLines(2_000, 5);
        foreach (var line in lines)
        {
            Assert.NotNull(Fast(line));
            AssertAgrees(line);
        }
    }

    [Theory]
    [InlineData("""{"process":{"name":"curl","args":["curl","-O","x"]},"n":null,"d":1.5e3,"s":"x"}""")]
    [InlineData("""{"process.name":"curl","process":{"args":"one"},"a":[{"b":1},{"b":[2,[3]]}]}""")]
    [InlineData("""  { "process" : { "name" : "sp ace" } , "x" : [ ] }  """)]
    [InlineData("""{"s":"caf\u00e9 \"quoted\" \\ \/ \n","process":{"name":"käse"},"x":"\ud83d\ude00"}""")]
    [InlineData("""{"s":"\ud800 lone surrogate","d":-0.5,"n":0,"x":-12,"process":{"pid":9223372036854775807}}""")]
    [InlineData("""{"process":{"pid":9223372036854775808,"interactive":true},"d":1E-2,"x":false}""")]
    [InlineData("""{"process":{"name":"a"},"process":{"name":"b"},"process.name":"c"}""")]
    [InlineData("""{"event":{"category":["process"],"type":["start","change"]},"s":"}{][,:"}""")]
    [InlineData("""{"pro\u0063ess":{"name":"escaped key"}}""")]
    [InlineData("""{}""")]
    [InlineData("""{"x":{}}""")]
    [InlineData("""{"x":[[],[[]],{}]}""")]
    // Not JSON, or not an object: the reader reports these.
    [InlineData("""{"s":01}""")]
    [InlineData("""{"s":1.}""")]
    [InlineData("""{"s":.5}""")]
    [InlineData("""{"s":-}""")]
    [InlineData("""{"s":+1}""")]
    [InlineData("""{"s":1e}""")]
    [InlineData("""{"s":tru}""")]
    [InlineData("""{"s":truex}""")]
    [InlineData("""{"s":nul}""")]
    [InlineData("""{"s":"\x"}""")]
    [InlineData("""{"s":"\u12G4"}""")]
    [InlineData("""{"s":"unterminated}""")]
    [InlineData("""{"s":1,}""")]
    [InlineData("""{"s":[1,]}""")]
    [InlineData("""{"s" 1}""")]
    [InlineData("""{s:1}""")]
    [InlineData("""{"s":1}}""")]
    [InlineData("""{"s":1} x""")]
    [InlineData("""["s"]""")]
    [InlineData("""{"s":'x'}""")]
    [InlineData("""{"s":[1 2]}""")]
    [InlineData("""{"s":{"a":1 "b":2}}""")]
    [InlineData("""{"s":1}/* c */""")]
    public void EdgeCases_Agree(string json)
    {
        AssertAgrees(Encoding.UTF8.GetBytes(json));
        // And the public entry point gives the reader's answer either way.
        var line = Encoding.UTF8.GetBytes(json);
        var reference = Reference(line);
        var values = new EqlValue[Fields.Projection.SlotCount];
        if (reference is null)
        {
            Assert.ThrowsAny<JsonException>(() => JsonProjector.Project(line, Fields.Projection, values));
        }
        else
        {
            JsonProjector.Project(line, Fields.Projection, values);
            Assert.True(values.Zip(reference).All(p => Same(p.First, p.Second)));
        }
    }

    [Fact]
    public void ControlCharactersAndInvalidUtf8_Agree()
    {
        for (var b = 0; b < 256; b++)
        {
            var line = Encoding.UTF8.GetBytes("""{"s":"a_b","process":{"name":"x_y"},"z":"q_r"}""");
            for (var i = 0; i < line.Length; i++)
            {
                if (line[i] == (byte)'_')
                {
                    line[i] = (byte)b;
                }
            }
            AssertAgrees(line);
        }
    }

    [Fact]
    public void RandomCorruptions_NeverMakeTheScannerAcceptWhatTheReaderRejects()
    {
        var random = new Random(1234);
        byte[] alphabet = [.. "\"\\{}[],:0123456789-+.eEtfnul /\t\n\r"u8, 0, 1, 0x1f, 0x7f, 0x80, 0xc3, 0xff];
        var lines = GeneratedLines(300, 9);
        long accepted = 0;
        foreach (var original in lines)
        {
            for (var m = 0; m < 40; m++)
            {
                var line = original.ToList();
                for (var k = random.Next(1, 4); k > 0; k--)
                {
                    var at = random.Next(line.Count);
                    switch (random.Next(4))
                    {
                        case 0:
                            line[at] = alphabet[random.Next(alphabet.Length)];
                            break;
                        case 1:
                            line.RemoveAt(at);
                            break;
                        case 2:
                            line.Insert(at, alphabet[random.Next(alphabet.Length)]);
                            break;
                        default:
                            line.RemoveRange(at, line.Count - at);
                            break;
                    }
                    if (line.Count == 0)
                    {
                        break;
                    }
                }
                var bytes = line.ToArray();
                AssertAgrees(bytes);
                accepted += Fast(bytes) is null ? 0 : 1;
            }
        }
        // Many corruptions land inside strings and keep the line valid: both paths must have been exercised.
        Assert.InRange(accepted, 1_000, lines.Count * 40 - 1_000);
    }
}
