using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Tomlyn;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace Vigil.Rules;

/// <summary>
/// Loads exception lists in the shapes Elastic uses: Kibana's exception-list export (NDJSON or JSON of list and item
/// objects) and the TOML exception files of detection-rules' custom-rules folders (<c>[metadata]</c> with <c>rule_ids</c>,
/// <c>[[exceptions]]</c> with a <c>container</c> and <c>items</c>). Every problem is reported with file, line and column;
/// a bad item is skipped, the others load.
/// </summary>
public static class ExceptionLoader
{
    private static readonly string[] FileExtensions = [".toml", ".json", ".ndjson"];

    /// <summary>Kibana's <c>os_types</c> values.</summary>
    private static readonly string[] OsTypes = ["linux", "macos", "windows"];

    /// <summary>Loads files, and every <c>*.toml</c>, <c>*.json</c> and <c>*.ndjson</c> file under directories (recursively).</summary>
    public static ExceptionSet Load(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var sets = new List<ExceptionSet>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                foreach (var file in FilesUnder(path))
                {
                    var kind = SourceFile.KindOf(file, out var what);
                    if (kind == SourceFileKind.Regular)
                    {
                        sets.Add(LoadFile(file));
                    }
                    else
                    {
                        // Found by walking a folder, not asked for: skip it (a FIFO would block the scan forever), but say so.
                        sets.Add(Failed(file, $"skipped: it {what}", RuleDiagnosticSeverity.Warning, files: 0));
                    }
                }
            }
            else
            {
                sets.Add(LoadFile(path));
            }
        }
        return ExceptionSet.Combine(sets);
    }

    /// <summary>Loads one file; <c>.toml</c> files are TOML, anything else JSON or NDJSON.</summary>
    public static ExceptionSet LoadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = SourceFile.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A dangling link is what a removed file leaves behind, not a broken exception: worth a warning only.
            var dangling = SourceFile.KindOf(path, out _) == SourceFileKind.DanglingLink;
            return Failed(path, "cannot read exception file: " + ex.Message, dangling ? RuleDiagnosticSeverity.Warning : RuleDiagnosticSeverity.Error, files: dangling ? 0 : 1);
        }
        var isToml = string.Equals(Path.GetExtension(path), ".toml", StringComparison.OrdinalIgnoreCase);
        return LoadString(text, path, isToml);
    }

    /// <summary>Loads exceptions from text: TOML when <paramref name="toml"/> is true, else JSON or NDJSON.</summary>
    public static ExceptionSet LoadString(string text, string sourceName, bool toml)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sink = new DiagnosticSink(sourceName, text);
        var reader = new Reader(sink, sourceName);
        if (toml)
        {
            TTable root;
            try
            {
                var document = SyntaxParser.Parse(text, sourceName, validate: true);
                var error = document.Diagnostics.Where(m => m.Kind == DiagnosticMessageKind.Error).OrderBy(m => m.Span.Start.Offset).FirstOrDefault();
                if (error is not null)
                {
                    sink.Error(TextPos.From(error.Span.Start), 1, ExceptionDiagnosticCodes.Syntax, error.Message);
                    return reader.Result(1);
                }
                root = TomlTreeBuilder.Build(document, text);
            }
            catch (Exception ex) when (ex is TomlException or InvalidOperationException)
            {
                sink.Error(TextPos.Start, 1, ExceptionDiagnosticCodes.Syntax, ex.Message);
                return reader.Result(1);
            }
            reader.Record(root);
        }
        else
        {
            var utf8 = Encoding.UTF8.GetBytes(text);
            List<TNode> documents;
            try
            {
                documents = JsonTreeBuilder.Build(utf8, string.Empty);
            }
            catch (JsonException) when (IsNdjson(utf8, sourceName))
            {
                // NDJSON records are independent: a broken line loses that record only, and every other line is still read
                // (and its problems reported, in line order).
                ReadLines(utf8, sink, reader);
                return reader.Result(1);
            }
            catch (JsonException ex)
            {
                ReportSyntax(sink, utf8, ex, lineOffset: 0);
                return reader.Result(1);
            }
            foreach (var document in documents)
            {
                reader.Records(document);
            }
        }
        return reader.Result(1);
    }

    /// <summary>
    /// Whether a file that is not one JSON text should be read line by line: named <c>*.ndjson</c>, or its first non-blank
    /// line is a JSON value of its own (a pretty-printed document with an error is one error, not one per line).
    /// </summary>
    private static bool IsNdjson(byte[] utf8, string sourceName)
    {
        if (string.Equals(Path.GetExtension(sourceName), ".ndjson", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        foreach (var (start, length) in Lines(utf8))
        {
            if (utf8.AsSpan(start, length).Trim(" \t\r"u8).IsEmpty)
            {
                continue;
            }
            try
            {
                return JsonTreeBuilder.Build(utf8, start, length, string.Empty).Count > 0;
            }
            catch (JsonException)
            {
                return false;
            }
        }
        return false;
    }

    private static void ReadLines(byte[] utf8, DiagnosticSink sink, Reader reader)
    {
        var line = 0;
        foreach (var (start, length) in Lines(utf8))
        {
            List<TNode> documents;
            try
            {
                documents = JsonTreeBuilder.Build(utf8, start, length, string.Empty);
            }
            catch (JsonException ex)
            {
                ReportSyntax(sink, utf8, ex, line++);
                continue;
            }
            foreach (var document in documents)
            {
                reader.Records(document);
            }
            line++;
        }
    }

    /// <summary>(start, length) of every line, without its <c>\n</c>.</summary>
    private static IEnumerable<(int Start, int Length)> Lines(byte[] utf8)
    {
        var start = 0;
        while (start <= utf8.Length)
        {
            var end = Array.IndexOf(utf8, (byte)'\n', start);
            if (end < 0)
            {
                yield return (start, utf8.Length - start);
                yield break;
            }
            yield return (start, end - start);
            start = end + 1;
        }
    }

    private static void ReportSyntax(DiagnosticSink sink, byte[] utf8, JsonException ex, int lineOffset)
    {
        // LineNumber and BytePositionInLine are 0-based, and the position counts bytes, not characters.
        var line0 = lineOffset + (ex.LineNumber ?? 0);
        var column = JsonTreeBuilder.CharColumn(utf8, line0, ex.BytePositionInLine ?? 0);
        var message = ex.Message.Split(" LineNumber:", 2)[0].Split(" Path:", 2)[0];
        sink.Error(new TextPos((int)line0 + 1, column), 1, ExceptionDiagnosticCodes.Syntax, "invalid JSON: " + message);
    }

    private static ExceptionSet Failed(string path, string message, RuleDiagnosticSeverity severity = RuleDiagnosticSeverity.Error, int files = 1) =>
        new([], [], [new RuleDiagnostic(path, 0, 0, ExceptionDiagnosticCodes.ReadFailed, message, severity)], files);

    /// <summary>
    /// The <c>*.toml</c>, <c>*.json</c> and <c>*.ndjson</c> entries under a folder, in ordinal order, whatever their type (the
    /// caller checks it). Linked directories are not entered: a link back to a parent would load every file again at each level.
    /// </summary>
    private static List<string> FilesUnder(string directory)
    {
        var files = new List<string>();
        var pending = new Stack<string>();
        pending.Push(directory);
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            foreach (var entry in new DirectoryInfo(current).EnumerateFileSystemInfos())
            {
                var path = Path.Join(current, entry.Name);
                if (entry is DirectoryInfo)
                {
                    if (!entry.Attributes.HasFlag(FileAttributes.ReparsePoint))
                    {
                        pending.Push(path);
                    }
                }
                else if (FileExtensions.Contains(Path.GetExtension(entry.Name), StringComparer.OrdinalIgnoreCase))
                {
                    files.Add(path);
                }
            }
        }
        files.Sort(StringComparer.Ordinal);
        return files;
    }

    /// <summary>Reads the records of one file.</summary>
    private sealed class Reader(DiagnosticSink sink, string file)
    {
        private readonly List<ExceptionItem> _items = [];
        private readonly List<ExceptionList> _lists = [];

        public ExceptionSet Result(int files) => new([.. _items], [.. _lists], [.. sink.Items], files);

        private ExceptionSource Source(TNode node) => new(file, node.Position.Line, node.Position.Column);

        /// <summary>A JSON document: one record, or an array of records.</summary>
        public void Records(TNode document)
        {
            if (document is TArray array)
            {
                foreach (var item in array.Items)
                {
                    Record(item);
                }
            }
            else
            {
                Record(document);
            }
        }

        /// <summary>A JSON record or a TOML file: a detection-rules exception file, a list, an item or an export summary.</summary>
        public void Record(TNode node)
        {
            if (node is not TTable table)
            {
                sink.Error(node, ExceptionDiagnosticCodes.UnknownRecord, $"expected an exception list or item (an object), found {node.Describe()}");
                return;
            }
            var e = table.Entries;
            if (e.ContainsKey("exceptions"))
            {
                DetectionRulesFile(table);
            }
            else if (e.ContainsKey("entries"))
            {
                Item(table, defaultListId: null, inherited: []);
            }
            else if (e.Keys.Any(k => k.StartsWith("exported_", StringComparison.Ordinal)))
            {
                // The summary line Kibana appends to an export.
            }
            else if (e.ContainsKey("list_id"))
            {
                List(table, inherited: [], fallbackName: null);
            }
            else
            {
                sink.Error(table, ExceptionDiagnosticCodes.UnknownRecord,
                    "not an exception list (no 'list_id'), an exception item (no 'entries') or a detection-rules exception file (no 'exceptions')");
            }
        }

        private void DetectionRulesFile(TTable root)
        {
            ImmutableArray<string> ruleIds = [];
            string? listName = null;
            if (root.Entries.TryGetValue("metadata", out var meta))
            {
                if (meta.Value is TTable metadata)
                {
                    ruleIds = Strings(metadata, "rule_ids", required: false);
                    listName = String(metadata, "list_name", required: false);
                }
                else
                {
                    sink.Error(meta.Value, ExceptionDiagnosticCodes.WrongType, $"'metadata' must be a table, found {meta.Value.Describe()}");
                }
            }
            if (root.Entries["exceptions"].Value is not TArray exceptions)
            {
                sink.Error(root.Entries["exceptions"].Value, ExceptionDiagnosticCodes.WrongType, "'exceptions' must be an array of tables ([[exceptions]])");
                return;
            }
            foreach (var node in exceptions.Items)
            {
                if (node is not TTable exception)
                {
                    sink.Error(node, ExceptionDiagnosticCodes.WrongType, $"each [[exceptions]] entry must be a table, found {node.Describe()}");
                    continue;
                }
                string? listId = null;
                if (exception.Entries.TryGetValue("container", out var containerEntry))
                {
                    if (containerEntry.Value is TTable container)
                    {
                        listId = List(container, ruleIds, listName);
                    }
                    else
                    {
                        sink.Error(containerEntry.Value, ExceptionDiagnosticCodes.WrongType, "'container' must be a table");
                    }
                }
                if (!exception.Entries.TryGetValue("items", out var itemsEntry))
                {
                    continue;
                }
                if (itemsEntry.Value is not TArray items)
                {
                    sink.Error(itemsEntry.Value, ExceptionDiagnosticCodes.WrongType, "'items' must be an array of tables ([[exceptions.items]])");
                    continue;
                }
                foreach (var item in items.Items)
                {
                    if (item is TTable t)
                    {
                        // Without a container, the file's rule_ids attach the items directly.
                        Item(t, listId, listId is null ? ruleIds : []);
                    }
                    else
                    {
                        sink.Error(item, ExceptionDiagnosticCodes.WrongType, $"each item must be a table, found {item.Describe()}");
                    }
                }
            }
        }

        private string? List(TTable table, ImmutableArray<string> inherited, string? fallbackName)
        {
            var listId = String(table, "list_id", required: true);
            var name = String(table, "name", required: false) ?? fallbackName;
            var ruleIds = Strings(table, "rule_ids", required: false);
            if (listId is null)
            {
                return null;
            }
            _lists.Add(new ExceptionList(listId, name, [.. inherited, .. ruleIds], Source(table)));
            return listId;
        }

        private void Item(TTable table, string? defaultListId, ImmutableArray<string> inherited)
        {
            var before = sink.Items.Count(d => d.IsError);
            var type = String(table, "type", required: false);
            if (type is not null && type != "simple")
            {
                sink.Error(table.Entries["type"].Value, ExceptionDiagnosticCodes.InvalidValue, $"exception item type must be \"simple\", found \"{type}\"");
            }
            var name = String(table, "name", required: true) ?? string.Empty;
            var itemId = String(table, "item_id", required: false);
            var listId = String(table, "list_id", required: false) ?? defaultListId ?? string.Empty;
            var osTypes = Strings(table, "os_types", required: false);
            if (table.Entries.TryGetValue("os_types", out var osNode) && osNode.Value is TArray osArray)
            {
                foreach (var node in osArray.Items)
                {
                    if (node is TScalar { Value: string os } && !OsTypes.Contains(os, StringComparer.Ordinal))
                    {
                        sink.Error(node, ExceptionDiagnosticCodes.InvalidValue, $"unknown os type \"{os}\"; expected {string.Join(", ", OsTypes[..^1])} or {OsTypes[^1]}");
                    }
                }
            }
            var ruleIds = Strings(table, "rule_ids", required: false);
            DateTimeOffset? expire = null;
            if (String(table, "expire_time", required: false) is { } expireText)
            {
                if (DateTimeOffset.TryParse(expireText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
                {
                    expire = parsed;
                }
                else
                {
                    sink.Error(table.Entries["expire_time"].Value, ExceptionDiagnosticCodes.InvalidValue, $"expire_time '{expireText}' is not an ISO 8601 date-time");
                }
            }
            var entries = Entries(table, nestedIn: null);
            if (sink.Items.Count(d => d.IsError) > before || entries.IsDefault)
            {
                return;
            }
            if (expire is { } expired && expired <= DateTimeOffset.UtcNow)
            {
                // Kept (it would apply to events again if the clock were set back), but people should know it does nothing.
                var display = itemId is null ? $"'{name}'" : $"'{name}' ({itemId})";
                sink.Warning(table.Entries["expire_time"].Value.Position, table.Entries["expire_time"].Value.Width, ExceptionDiagnosticCodes.Expired,
                    $"exception item {display} expired at {expired.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}; not applied");
            }
            _items.Add(new ExceptionItem
            {
                ItemId = itemId,
                ListId = listId,
                Name = name,
                Entries = entries,
                OsTypes = osTypes,
                ExpireTime = expire,
                RuleIds = [.. inherited, .. ruleIds],
                Source = Source(table),
            });
        }

        /// <summary>The <c>entries</c> array of an item or a nested entry; default when it is missing or bad.</summary>
        private ImmutableArray<ExceptionEntry> Entries(TTable owner, string? nestedIn)
        {
            if (!owner.Entries.TryGetValue("entries", out var entriesEntry))
            {
                sink.Error(owner, ExceptionDiagnosticCodes.MissingField, nestedIn is null ? "missing required key 'entries'" : $"nested entry '{nestedIn}' is missing 'entries'");
                return default;
            }
            if (entriesEntry.Value is not TArray array)
            {
                sink.Error(entriesEntry.Value, ExceptionDiagnosticCodes.WrongType, $"'entries' must be an array, found {entriesEntry.Value.Describe()}");
                return default;
            }
            if (array.Items.Count == 0)
            {
                // An item without entries would except every event.
                sink.Error(array, ExceptionDiagnosticCodes.InvalidValue, "'entries' must not be empty");
                return default;
            }
            var result = ImmutableArray.CreateBuilder<ExceptionEntry>();
            foreach (var node in array.Items)
            {
                if (node is not TTable t)
                {
                    sink.Error(node, ExceptionDiagnosticCodes.WrongType, $"each entry must be an object, found {node.Describe()}");
                    continue;
                }
                if (Entry(t, nestedIn) is { } entry)
                {
                    result.Add(entry);
                }
            }
            return result.Count == array.Items.Count ? result.ToImmutable() : default;
        }

        private ExceptionEntry? Entry(TTable t, string? nestedIn)
        {
            var field = String(t, "field", required: true);
            var typeText = String(t, "type", required: true);
            if (field is not null && field.Length == 0)
            {
                sink.Error(t.Entries["field"].Value, ExceptionDiagnosticCodes.InvalidValue, "'field' must not be empty");
                field = null;
            }
            if (field is null || typeText is null)
            {
                return null;
            }
            var typeNode = t.Entries["type"].Value;
            ExceptionEntryType type;
            switch (typeText)
            {
                case "match": type = ExceptionEntryType.Match; break;
                case "match_any": type = ExceptionEntryType.MatchAny; break;
                case "exists": type = ExceptionEntryType.Exists; break;
                case "wildcard": type = ExceptionEntryType.Wildcard; break;
                case "nested": type = ExceptionEntryType.Nested; break;
                case "list":
                    sink.Error(typeNode, ExceptionDiagnosticCodes.Unsupported, "value-list entries (type \"list\") are not supported: list the values with type \"match_any\" instead");
                    return null;
                default:
                    sink.Error(typeNode, ExceptionDiagnosticCodes.InvalidValue, $"unknown entry type \"{typeText}\"; expected match, match_any, exists, wildcard or nested");
                    return null;
            }
            var source = Source(t);
            if (type == ExceptionEntryType.Nested)
            {
                if (nestedIn is not null)
                {
                    sink.Error(typeNode, ExceptionDiagnosticCodes.Unsupported, $"a nested entry cannot contain another nested entry (inside '{nestedIn}')");
                    return null;
                }
                var sub = Entries(t, field);
                return sub.IsDefault ? null : new ExceptionEntry { Field = field, Type = type, Entries = sub, Source = source };
            }
            var operatorText = String(t, "operator", required: true);
            ExceptionOperator op;
            switch (operatorText)
            {
                case "included": op = ExceptionOperator.Included; break;
                case "excluded": op = ExceptionOperator.Excluded; break;
                case null: return null;
                default:
                    sink.Error(t.Entries["operator"].Value, ExceptionDiagnosticCodes.InvalidValue, $"unknown operator \"{operatorText}\"; expected \"included\" or \"excluded\"");
                    return null;
            }
            ImmutableArray<string> values;
            switch (type)
            {
                case ExceptionEntryType.Exists:
                    if (t.Entries.TryGetValue("value", out var unexpected) && !(unexpected.Value is TScalar { Value: string { Length: 0 } }))
                    {
                        sink.Error(unexpected.Value, ExceptionDiagnosticCodes.InvalidValue, "an \"exists\" entry takes no 'value'");
                        return null;
                    }
                    values = [];
                    break;
                case ExceptionEntryType.MatchAny:
                    values = Strings(t, "value", required: true);
                    if (values.IsEmpty)
                    {
                        // Only an empty array is this problem; a missing or mistyped value was reported already.
                        if (t.Entries.TryGetValue("value", out var v) && v.Value is TArray { Items.Count: 0 })
                        {
                            sink.Error(v.Value, ExceptionDiagnosticCodes.InvalidValue, "a \"match_any\" entry needs at least one value");
                        }
                        return null;
                    }
                    break;
                default:
                    if (String(t, "value", required: true) is not { } one)
                    {
                        return null;
                    }
                    if (one.Length == 0)
                    {
                        sink.Error(t.Entries["value"].Value, ExceptionDiagnosticCodes.InvalidValue, $"a \"{typeText}\" entry needs a non-empty 'value'");
                        return null;
                    }
                    values = [one];
                    break;
            }
            return new ExceptionEntry { Field = field, Type = type, Operator = op, Values = values, Source = source };
        }

        private string? String(TTable t, string key, bool required)
        {
            if (!t.Entries.TryGetValue(key, out var entry))
            {
                if (required)
                {
                    sink.Error(t, ExceptionDiagnosticCodes.MissingField, $"missing required key '{key}'");
                }
                return null;
            }
            if (entry.Value is TScalar { Value: string s })
            {
                return s;
            }
            sink.Error(entry.Value, ExceptionDiagnosticCodes.WrongType, $"'{key}' must be a string, found {entry.Value.Describe()}");
            return null;
        }

        private ImmutableArray<string> Strings(TTable t, string key, bool required)
        {
            if (!t.Entries.TryGetValue(key, out var entry))
            {
                if (required)
                {
                    sink.Error(t, ExceptionDiagnosticCodes.MissingField, $"missing required key '{key}'");
                }
                return [];
            }
            if (entry.Value is not TArray array)
            {
                sink.Error(entry.Value, ExceptionDiagnosticCodes.WrongType, $"'{key}' must be an array of strings, found {entry.Value.Describe()}");
                return [];
            }
            var result = ImmutableArray.CreateBuilder<string>();
            foreach (var item in array.Items)
            {
                if (item is TScalar { Value: string s })
                {
                    result.Add(s);
                }
                else
                {
                    sink.Error(item, ExceptionDiagnosticCodes.WrongType, $"'{key}' must hold strings only, found {item.Describe()}");
                }
            }
            return result.ToImmutable();
        }
    }
}
