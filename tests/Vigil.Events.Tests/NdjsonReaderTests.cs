using System.IO.Compression;
using System.Text;
using Vigil.Eql;

namespace Vigil.Events.Tests;

public sealed class NdjsonReaderTests
{
    private static (FieldTable Table, FieldProjection Projection) Fields(params string[] paths)
    {
        var table = new FieldTable();
        foreach (var p in paths)
        {
            table.Get(p);
        }
        return (table, new FieldProjection(table));
    }

    private static List<EventRecord> Read(string text, FieldProjection projection, List<InputError> errors, string name = "events.ndjson") =>
        new NdjsonReader(projection, errors.Add).ReadStream(new MemoryStream(Encoding.UTF8.GetBytes(text)), name).ToList();

    [Theory]
    [InlineData("""{"process":{"name":"curl"}}""")]
    [InlineData("""{"process.name":"curl"}""")]
    [InlineData("""{"process":{"parent":{"x":1}},"process.name":"curl"}""")]
    public void Project_NestedAndDottedKeys_NameTheSameField(string json)
    {
        var (table, projection) = Fields("process.name");
        var e = EventRecord.FromJson(Encoding.UTF8.GetBytes(json), projection);
        Assert.Equal(EqlValue.From("curl"), e.Get(table.Get("process.name")));
    }

    [Fact]
    public void Project_DeepMixOfDottedAndNested_Resolves()
    {
        var (table, projection) = Fields("process.entry_leader.entry_meta.type");
        var e = EventRecord.FromJson("""{"process.entry_leader":{"entry_meta.type":"container"}}"""u8, projection);
        Assert.Equal("container", e.Get(table.Get("process.entry_leader.entry_meta.type")).AsString);
    }

    [Fact]
    public void Project_Arrays_BecomeMultiValuedEvenWithOneElement()
    {
        var (table, projection) = Fields("process.args", "event.category", "a.b");
        var e = EventRecord.FromJson("""{"process":{"args":["apt","install"]},"event":{"category":["process"]},"a":[{"b":1},{"b":2}]}"""u8, projection);
        Assert.Equal(["apt", "install"], e.Get(table.Get("process.args")).AsArray.ToArray().Select(v => v.AsString));
        Assert.Equal(EqlValueKind.Array, e.Get(table.Get("event.category")).Kind);
        Assert.Equal([1L, 2L], e.Get(table.Get("a.b")).AsArray.ToArray().Select(v => v.AsLong));
    }

    [Fact]
    public void Project_EscapedAndNonAsciiKeys_MatchTheirDecodedNames()
    {
        var (table, projection) = Fields("process.name", "käse.typ");
        var e = EventRecord.FromJson("""{"pro\u0063ess":{"n\u0061me":"curl"},"käse":{"typ":"gouda"}}"""u8, projection);
        Assert.Equal("curl", e.Get(table.Get("process.name")).AsString);
        Assert.Equal("gouda", e.Get(table.Get("käse.typ")).AsString);
    }

    [Fact]
    public void Project_ArrayValuesOfOneEvent_DoNotLeakIntoTheNext()
    {
        // The lists that collect array items are reused from event to event on a thread.
        var (table, projection) = Fields("process.args", "x");
        var args = table.Get("process.args");
        var first = EventRecord.FromJson("""{"process":{"args":["apt","install","curl"]},"x":[1]}"""u8, projection);
        var second = EventRecord.FromJson("""{"process":{"args":["sh"]},"x":2}"""u8, projection);
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => EventRecord.FromJson("""{"process":{"args":["half","""u8, projection));
        var third = EventRecord.FromJson("""{"process":{"args":"plain"},"x":[3,[4]]}"""u8, projection);
        Assert.Equal(["apt", "install", "curl"], first.Get(args).AsArray.ToArray().Select(v => v.AsString));
        Assert.Equal(["sh"], second.Get(args).AsArray.ToArray().Select(v => v.AsString));
        Assert.Equal(EqlValue.From(2L), second.Get(table.Get("x")));
        Assert.Equal(EqlValue.From("plain"), third.Get(args));
        Assert.Equal([3L, 4L], third.Get(table.Get("x")).AsArray.ToArray().Select(v => v.AsLong));
    }

    [Fact]
    public void Project_ScalarTypes_AreKept()
    {
        var (table, projection) = Fields("i", "d", "t", "f", "n", "s");
        var e = EventRecord.FromJson("""{"i":42,"d":1.5,"t":true,"f":false,"n":null,"s":"x","other":{"deep":[1,2,{"x":3}]}}"""u8, projection);
        Assert.Equal(42L, e.Get(table.Get("i")).AsLong);
        Assert.Equal(1.5, e.Get(table.Get("d")).AsDouble);
        Assert.True(e.Get(table.Get("t")).AsBoolean);
        Assert.False(e.Get(table.Get("f")).AsBoolean);
        Assert.True(e.Get(table.Get("n")).IsNull);
        Assert.Equal("x", e.Get(table.Get("s")).AsString);
    }

    [Fact]
    public void Read_MalformedLines_AreReportedWithFileLineAndColumn_AndReadingGoesOn()
    {
        var (table, projection) = Fields("id");
        var errors = new List<InputError>();
        var text = "{\"id\":1}\n{\"id\":2,\n\n[1,2]\n{\"id\":3} trailing\n{\"id\":4}\n{\"id\":5";
        var events = Read(text, projection, errors);
        Assert.Equal([1L, 4L], events.Select(e => e.Get(table.Get("id")).AsLong));
        Assert.Equal([2L, 4L, 5L, 7L], errors.Select(e => e.Line));
        Assert.Contains("truncated", errors[3].Message, StringComparison.Ordinal);
        Assert.All(errors, e => Assert.StartsWith("events.ndjson(", e.Render(), StringComparison.Ordinal));
        Assert.Contains("must be a JSON object", errors[1].Message, StringComparison.Ordinal);
        Assert.NotNull(errors[0].Column);
        Assert.Equal([1L, 6L], events.Select(e => e.Line));
    }

    [Fact]
    public void Read_KeepsRawBytesAndLineNumbers()
    {
        var (_, projection) = Fields("id");
        var errors = new List<InputError>();
        var events = Read("{\"id\":1,\"x\":\"é\"}\r\n\n{\"id\":2}\n", projection, errors);
        Assert.Empty(errors);
        Assert.Equal("{\"id\":1,\"x\":\"é\"}", Encoding.UTF8.GetString(events[0].Raw.Span));
        Assert.Equal(3, events[1].Line);
        Assert.Equal("é", events[0].ToJsonObject()["x"]!.GetValue<string>());
    }

    [Fact]
    public void Read_Gzip_IsDetectedByMagicBytes()
    {
        var (table, projection) = Fields("id");
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write("{\"id\":1}\n{\"id\":2}\n"u8);
        }
        ms.Position = 0;
        var events = new NdjsonReader(projection, _ => { }).ReadStream(ms, "x.gz").ToList();
        Assert.Equal([1L, 2L], events.Select(e => e.Get(table.Get("id")).AsLong));
    }

    [Fact]
    public void Read_TruncatedGzip_ReportsAndKeepsEventsAlreadyRead()
    {
        var (table, projection) = Fields("id");
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        {
            for (var i = 0; i < 20000; i++)
            {
                gz.Write(Encoding.UTF8.GetBytes($"{{\"id\":{i},\"pad\":\"{Guid.NewGuid()}\"}}\n"));
            }
        }
        var bytes = ms.ToArray();
        var truncated = bytes.AsSpan(0, bytes.Length / 2).ToArray();
        var errors = new List<InputError>();
        var events = new NdjsonReader(projection, errors.Add).ReadStream(new MemoryStream(truncated), "cut.ndjson.gz").ToList();
        Assert.NotEmpty(events);
        Assert.True(events.Count < 20000);
        var error = Assert.Single(errors);
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
        Assert.Equal(Enumerable.Range(0, events.Count).Select(i => (long)i), events.Select(e => e.Get(table.Get("id")).AsLong));
    }

    [Fact]
    public void Read_GzipHeaderFollowedByGarbage_IsReported_AnEmptyGzipIsNot()
    {
        var (_, projection) = Fields("id");
        var empty = new MemoryStream();
        using (new GZipStream(empty, CompressionLevel.Fastest, leaveOpen: true))
        {
        }
        var named = empty.ToArray();
        foreach (var (bytes, corrupt) in new[] { ([0x1f, 0x8b, 0x08, 0x00, .. "garbage"u8.ToArray()], true), (named, false) })
        {
            foreach (var fast in new[] { false, true })
            {
                var path = Path.Combine(Path.GetTempPath(), $"vigil-gz-{Guid.NewGuid():N}.gz");
                File.WriteAllBytes(path, bytes);
                try
                {
                    var errors = new List<InputError>();
                    var reader = new NdjsonReader(projection, errors.Add);
                    if (fast)
                    {
                        foreach (var batch in reader.ReadBatches(path))
                        {
                            reader.Consume(batch);
                            batch.Release();
                        }
                    }
                    else
                    {
                        Assert.Empty(reader.ReadPath(path).ToList());
                    }
                    if (corrupt)
                    {
                        Assert.Contains("corrupt or truncated", Assert.Single(errors).Message, StringComparison.Ordinal);
                    }
                    else
                    {
                        Assert.Empty(errors);
                    }
                }
                finally
                {
                    File.Delete(path);
                }
            }
        }
    }

    [Fact]
    public void Read_OverlongLine_IsSkippedAndReported()
    {
        var (table, projection) = Fields("id");
        var errors = new List<InputError>();
        var longLine = "{\"id\":9,\"pad\":\"" + new string('x', 300_000) + "\"}";
        var text = "{\"id\":1}\n" + longLine + "\n{\"id\":2}\n";
        var reader = new NdjsonReader(projection, errors.Add, new NdjsonReaderOptions { MaxLineBytes = 100_000 });
        var events = reader.ReadStream(new MemoryStream(Encoding.UTF8.GetBytes(text)), "big.ndjson").ToList();
        Assert.Equal([1L, 2L], events.Select(e => e.Get(table.Get("id")).AsLong));
        Assert.Equal(2, Assert.Single(errors).Line);
        Assert.Equal(1, reader.BadLines);
    }

    [Fact]
    public void ReadPath_MissingFile_IsReportedNotThrown()
    {
        var (_, projection) = Fields("id");
        var errors = new List<InputError>();
        var events = new NdjsonReader(projection, errors.Add).ReadPath("/nonexistent/events.ndjson").ToList();
        Assert.Empty(events);
        Assert.Contains("cannot open", Assert.Single(errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_Utf8ByteOrderMark_IsSkipped()
    {
        var (table, projection) = Fields("id");
        var errors = new List<InputError>();
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes("{\"id\":1}\n{\"id\":2}\n")).ToArray();
        var events = new NdjsonReader(projection, errors.Add).ReadStream(new MemoryStream(bytes), "bom.ndjson").ToList();
        Assert.Empty(errors);
        Assert.Equal([1L, 2L], events.Select(e => e.Get(table.Get("id")).AsLong));
    }

    [Fact]
    public void Read_ManyBadLines_ShowsOnlyTheFirstFiftyButCountsAll()
    {
        var (_, projection) = Fields("id");
        var errors = new List<InputError>();
        var reader = new NdjsonReader(projection, errors.Add);
        var events = reader.ReadStream(new MemoryStream(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("garbage\n", 500)) + "{\"id\":1}\n")), "noise").ToList();
        Assert.Single(events);
        Assert.Equal(500, reader.BadLines);
        Assert.Equal(NdjsonReader.MaxErrorsShownPerInput + 1, errors.Count);
        Assert.Contains("counted but not shown", errors[^1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadPath_Directory_SaysSo()
    {
        var (_, projection) = Fields("id");
        var errors = new List<InputError>();
        var reader = new NdjsonReader(projection, errors.Add);
        Assert.Empty(reader.ReadPath(Path.GetTempPath()).ToList());
        Assert.Contains("is a directory", Assert.Single(errors).Message, StringComparison.Ordinal);
        Assert.Equal(1, reader.FailedInputs);
        Assert.Equal(0, reader.BadLines);
    }

    [Fact]
    public void Read_LinesSplitAcrossBufferBoundaries_AreIntact()
    {
        var (table, projection) = Fields("id", "s");
        var sb = new StringBuilder();
        for (var i = 0; i < 5000; i++)
        {
            sb.Append("{\"id\":").Append(i).Append(",\"s\":\"").Append(new string('a', i % 97)).Append("\"}\n");
        }
        var errors = new List<InputError>();
        var events = Read(sb.ToString(), projection, errors);
        Assert.Empty(errors);
        Assert.Equal(5000, events.Count);
        Assert.All(events, e => Assert.Equal((int)(e.Get(table.Get("id")).AsLong % 97), e.Get(table.Get("s")).AsString.Length));
    }

    [Fact]
    public void InputError_Render_EscapesControlCharacters_ButKeepsTabs()
    {
        var e = new InputError("in\u0085.ndjson", 3, 1, "malformed JSON: 'nul\u001b]0;pwned\u0007\t\u007f\u009b'");
        Assert.Equal("in\\x85.ndjson(3,1): error VIG0001: malformed JSON: 'nul\\x1b]0;pwned\\x07\t\\x7f\\x9b'", e.Render());
    }
}
