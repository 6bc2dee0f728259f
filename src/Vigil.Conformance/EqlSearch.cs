using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vigil.Eql;
using Vigil.Eql.Execution;
using Vigil.Events;

namespace Vigil.Conformance;

/// <summary>How <see cref="EqlSearch"/> writes results.</summary>
public enum EqlOutputFormat
{
    /// <summary>One JSON event per line; events of sequences and samples carry <c>vigil.result</c> and <c>vigil.join_keys</c>.</summary>
    Ndjson,
    /// <summary>An aligned text table.</summary>
    Table,
}

/// <summary>Settings for <see cref="EqlSearch.Run"/>. Field names default to Elasticsearch's.</summary>
public sealed record EqlSearchOptions
{
    /// <summary>Field holding event time (default <c>@timestamp</c>).</summary>
    public string TimestampField { get; init; } = "@timestamp";

    /// <summary>Field ordering events with equal timestamps (default none).</summary>
    public string? TiebreakerField { get; init; }

    /// <summary>Field holding the event category (default <c>event.category</c>).</summary>
    public string CategoryField { get; init; } = "event.category";

    /// <summary>Maximum results (events, sequences or samples) after pipes; Elasticsearch's API default is 10. Null for all.</summary>
    public int? Size { get; init; } = 10;

    /// <summary>Samples per join-key combination (Elasticsearch's <c>max_samples_per_key</c>).</summary>
    public int MaxSamplesPerKey { get; init; } = 1;

    /// <summary>Output format.</summary>
    public EqlOutputFormat Format { get; init; } = EqlOutputFormat.Ndjson;

    /// <summary>Events kept in memory while ordering before sorted runs spill to temporary files.</summary>
    public int MaxEventsInMemory { get; init; } = 100_000;

    /// <summary>Folder for spill files (default: the system temp folder).</summary>
    public string? TempDirectory { get; init; }
}

/// <summary>What a search read and produced.</summary>
/// <param name="Results">Results written (events, sequences or samples).</param>
/// <param name="EventsRead">Events read from the inputs.</param>
/// <param name="BadLines">Input lines that could not be read (reported on the error writer).</param>
/// <param name="SpilledRuns">Sorted runs written to disk while ordering.</param>
/// <param name="Stats">The matcher's counters.</param>
public sealed record EqlSearchSummary(long Results, long EventsRead, long BadLines, int SpilledRuns, EqlRunStats Stats)
{
    /// <summary>Inputs that could not be opened (reported on the error writer).</summary>
    public long FailedInputs { get; init; }
}

/// <summary>
/// <c>vigil eql</c>: reads NDJSON inputs (plain or gzip, <c>-</c> for stdin) projecting only the fields the query reads,
/// orders them by timestamp and tiebreaker (spilling to disk past a bound), runs the query and writes the results.
/// </summary>
public static class EqlSearch
{
    /// <summary>
    /// Runs <paramref name="query"/> over <paramref name="inputs"/>. Throws <see cref="EqlException"/> when the query does
    /// not compile; input errors are written to <paramref name="errors"/> and reading goes on.
    /// </summary>
    public static EqlSearchSummary Run(string query, IReadOnlyList<string> inputs, TextWriter output, TextWriter errors, EqlSearchOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(errors);
        options ??= new EqlSearchOptions();
        var table = new FieldTable();
        var compiled = Eql.Eql.Compile(query, new EqlOptions
        {
            TimestampField = options.TimestampField,
            TiebreakerField = options.TiebreakerField,
            CategoryField = options.CategoryField,
        }, table);
        // Register the ordering and display fields before the projection is built so that the reader extracts them.
        var timestamp = table.Get(options.TimestampField);
        var category = table.Get(options.CategoryField);
        if (options.TiebreakerField is { } tb)
        {
            table.Get(tb);
        }
        var projection = new FieldProjection(table);
        var orderer = EventOrderer.For(compiled, new EventRecordCodec(projection), new EventOrdererOptions
        {
            MaxEventsInMemory = options.MaxEventsInMemory,
            TempDirectory = options.TempDirectory,
        });
        var reader = new NdjsonReader(projection, e => errors.WriteLine(e.Render()));
        var runner = new EqlRunner(compiled, new EqlRunOptions { Size = options.Size, MaxSamplesPerKey = options.MaxSamplesPerKey });
        var writer = new ResultWriter(output, options.Format, compiled.IsEventQuery, timestamp, category);
        long count = 0;
        foreach (var result in runner.Run(orderer.Sort(inputs.SelectMany(reader.ReadPath))))
        {
            writer.Write(++count, result);
        }
        writer.Finish();
        return new EqlSearchSummary(count, reader.EventsRead, reader.BadLines, orderer.SpilledRuns, runner.Stats) { FailedInputs = reader.FailedInputs };
    }

    private sealed class ResultWriter(TextWriter output, EqlOutputFormat format, bool eventQuery, FieldRef timestamp, FieldRef category)
    {
        private bool _header;

        public void Write(long number, EqlResult result)
        {
            if (format == EqlOutputFormat.Table)
            {
                WriteRow(number, result);
                return;
            }
            for (var i = 0; i < result.Events.Count; i++)
            {
                var e = result.Events[i] as EventRecord;
                if (eventQuery && e is not null)
                {
                    output.WriteLine(Encoding.UTF8.GetString(e.Raw.Span));
                    continue;
                }
                var doc = e?.ToJsonObject() ?? new JsonObject { ["vigil.missing_event"] = true };
                doc["vigil.result"] = number;
                doc["vigil.stage"] = i;
                doc["vigil.join_keys"] = new JsonArray(result.JoinKeys.Select(ToNode).ToArray());
                output.WriteLine(doc.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            }
        }

        private void WriteRow(long number, EqlResult result)
        {
            if (!_header)
            {
                output.WriteLine($"{"RESULT",6}  {"STAGE",5}  {"TIMESTAMP",-30}  {"CATEGORY",-16}  {"JOIN KEYS",-24}  SOURCE");
                _header = true;
            }
            var keys = result.JoinKeys.Count == 0 ? "-" : string.Join(",", result.JoinKeys.Select(k => k.ToString()));
            for (var i = 0; i < result.Events.Count; i++)
            {
                var e = result.Events[i];
                var ts = e is null ? "(missing event)" : Text(e.Get(timestamp));
                var cat = e is null ? "-" : Text(e.Get(category));
                var source = e is EventRecord r ? string.Create(CultureInfo.InvariantCulture, $"{r.Source}:{r.Line}") : "-";
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{number,6}  {i,5}  {ts,-30}  {cat,-16}  {keys,-24}  {source}"));
            }
        }

        private static string Text(EqlValue v) => v.IsNull ? "-" : v.ToString();

        public void Finish() => output.Flush();

        private static JsonNode? ToNode(EqlValue v) => v.Kind switch
        {
            EqlValueKind.Null => null,
            EqlValueKind.Boolean => JsonValue.Create(v.AsBoolean),
            EqlValueKind.Long => JsonValue.Create(v.AsLong),
            EqlValueKind.Double => JsonValue.Create(v.AsDouble),
            EqlValueKind.String => JsonValue.Create(v.AsString),
            _ => JsonValue.Create(v.ToString()),
        };
    }
}
