using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Vigil.Sensor.Procfs;
using Vigil.Sensor.Tracking;

namespace Vigil.Sensor.Ecs;

/// <summary>Everything one document is written from; leaders are resolved by the caller.</summary>
internal readonly record struct EcsEvent(
    SensorEventAction Action,
    long TimestampUnixNs,
    ProcessEntry Process,
    ProcessEntry? Parent,
    ProcessEntry? SessionLeader,
    ProcessEntry? GroupLeader,
    ProcessEntry? EntryLeader,
    ProcessImage? Previous,
    bool Partial,
    int ThreadId);

/// <summary>
/// Writes one ECS document per event in the shape of Defend for Containers process events
/// (data stream <c>logs-cloud_defend.process-default</c>). One writer and buffer are reused; the only
/// allocation per document is the returned array (plus the event id and command line strings).
/// </summary>
internal sealed class EcsDocumentWriter : IDisposable
{
    private static readonly JsonWriterOptions Options = new()
    {
        // Relaxed escaping keeps '+', '<', '&' and non-ASCII readable; the output is still valid JSON,
        // it is just not meant to be pasted into HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly Utf8JsonWriter _json;
    private readonly byte[] _host;

    public EcsDocumentWriter(HostInfo host)
    {
        Host = host;
        _json = new Utf8JsonWriter(_buffer, Options);
        _host = SerializeHost(host);
    }

    public HostInfo Host { get; }

    /// <summary>Writes the document and returns its UTF-8 bytes (no trailing newline).</summary>
    public byte[] Write(in EcsEvent ev, long createdUnixNs)
    {
        _buffer.ResetWrittenCount();
        _json.Reset(_buffer);
        Utf8JsonWriter w = _json;
        ProcessEntry p = ev.Process;

        w.WriteStartObject();
        WriteTime(w, "@timestamp"u8, ev.TimestampUnixNs);

        w.WriteStartObject("ecs"u8);
        w.WriteString("version"u8, "8.10.0"u8);
        w.WriteEndObject();

        w.WriteStartObject("data_stream"u8);
        w.WriteString("type"u8, "logs"u8);
        w.WriteString("dataset"u8, "cloud_defend.process"u8);
        w.WriteString("namespace"u8, "default"u8);
        w.WriteEndObject();

        WriteEvent(w, ev, createdUnixNs);
        WriteProcess(w, ev);

        if (p.HasIds)
        {
            WriteId(w, "user"u8, p.UserId, p.UserName);
            WriteId(w, "group"u8, p.GroupId, p.GroupName);
        }

        if (p.ContainerId is not null)
        {
            w.WriteStartObject("container"u8);
            w.WriteString("id"u8, p.ContainerId);
            w.WriteEndObject();
        }

        w.WritePropertyName("host"u8);
        w.WriteRawValue(_host, skipInputValidation: true);

        if (ev.Partial)
        {
            // Honest about what we did not see: the process was gone before /proc could be read.
            w.WriteStartObject("labels"u8);
            w.WriteString("vigil_enrichment"u8, "partial"u8);
            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.Flush();
        return _buffer.WrittenSpan.ToArray();
    }

    private static void WriteEvent(Utf8JsonWriter w, in EcsEvent ev, long createdUnixNs)
    {
        w.WriteStartObject("event"u8);
        Span<char> id = stackalloc char[36];
        Guid.CreateVersion7().TryFormat(id, out int idLength, "D");
        w.WriteString("id"u8, id[..idLength]);
        w.WriteString("kind"u8, "event"u8);
        w.WriteStartArray("category"u8);
        w.WriteStringValue("process"u8);
        w.WriteEndArray();
        w.WriteStartArray("type"u8);
        w.WriteStringValue(ev.Action == SensorEventAction.End ? "end"u8 : "start"u8);
        w.WriteEndArray();
        w.WriteString("action"u8, ev.Action switch
        {
            SensorEventAction.Fork => "fork"u8,
            SensorEventAction.Exec => "exec"u8,
            _ => "end"u8,
        });
        WriteTime(w, "created"u8, createdUnixNs);

        // No ingest pipeline sits between the sensor and the engine, so ingestion is now.
        WriteTime(w, "ingested"u8, createdUnixNs);
        w.WriteString("module"u8, "cloud_defend"u8);
        w.WriteString("dataset"u8, "cloud_defend.process"u8);
        w.WriteEndObject();
    }

    private static void WriteProcess(Utf8JsonWriter w, in EcsEvent ev)
    {
        ProcessEntry p = ev.Process;
        w.WriteStartObject("process"u8);
        w.WriteNumber("pid"u8, p.Pid);
        if (p.NamespaceDepth > 1 && p.NamespacePid > 0)
        {
            w.WriteNumber("vpid"u8, p.NamespacePid);
        }

        if (ev.ThreadId != 0)
        {
            w.WriteStartObject("thread"u8);
            w.WriteNumber("id"u8, ev.ThreadId);
            w.WriteEndObject();
        }

        WriteImage(w, p, commandLine: true);
        if (ev.Action == SensorEventAction.End)
        {
            WriteTime(w, "end"u8, p.EndUnixNs);
            w.WriteNumber("exit_code"u8, p.ExitCode);
        }

        WriteTty(w, p);
        if (p.HasIds)
        {
            WriteId(w, "user"u8, p.UserId, p.UserName);
            WriteId(w, "group"u8, p.GroupId, p.GroupName);
        }

        if (ev.Parent is { } parent)
        {
            WriteRelative(w, "parent"u8, parent, p, sameAs: false, entryType: null);
        }
        else if (p.ParentPid > 0)
        {
            w.WriteStartObject("parent"u8);
            w.WriteNumber("pid"u8, p.ParentPid);
            w.WriteEndObject();
        }

        if (ev.SessionLeader is { } session)
        {
            WriteRelative(w, "session_leader"u8, session, p, sameAs: true, entryType: null);
        }

        if (ev.GroupLeader is { } group)
        {
            WriteRelative(w, "group_leader"u8, group, p, sameAs: true, entryType: null);
        }

        if (ev.EntryLeader is { } entry)
        {
            WriteRelative(w, "entry_leader"u8, entry, p, sameAs: true, entryType: entry.EntryLeaderType);
        }

        if (ev.Previous is { } previous)
        {
            w.WriteStartArray("previous"u8);
            w.WriteStartObject();
            WriteArgs(w, previous.Args, count: false);
            if (previous.Executable is not null)
            {
                w.WriteString("executable"u8, previous.Executable);
            }

            w.WriteEndObject();
            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    private static void WriteRelative(Utf8JsonWriter w, ReadOnlySpan<byte> name, ProcessEntry r, ProcessEntry of, bool sameAs, string? entryType)
    {
        w.WriteStartObject(name);
        w.WriteNumber("pid"u8, r.Pid);
        WriteImage(w, r, commandLine: false);
        WriteTty(w, r);
        if (sameAs)
        {
            w.WriteBoolean("same_as_process"u8, r.Pid == of.Pid);
        }

        if (r.HasIds)
        {
            WriteId(w, "user"u8, r.UserId, name: null);
            WriteId(w, "group"u8, r.GroupId, name: null);
        }

        if (entryType is not null)
        {
            w.WriteStartObject("entry_meta"u8);
            w.WriteString("type"u8, entryType);
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    private static void WriteImage(Utf8JsonWriter w, ProcessEntry p, bool commandLine)
    {
        if (p.EntityId is not null)
        {
            w.WriteString("entity_id"u8, p.EntityId);
        }

        if (p.Name is not null)
        {
            w.WriteString("name"u8, p.Name);
        }

        if (p.Executable is not null)
        {
            w.WriteString("executable"u8, p.Executable);
        }

        WriteArgs(w, p.Args, count: true);
        if (commandLine && p.Args is { Length: > 0 } args)
        {
            w.WriteString("command_line"u8, string.Join(' ', args));
        }

        if (p.WorkingDirectory is not null)
        {
            w.WriteString("working_directory"u8, p.WorkingDirectory);
        }

        if (p.StartKnown)
        {
            WriteTime(w, "start"u8, p.StartUnixNs);
        }

        w.WriteBoolean("interactive"u8, TtyDevice.IsInteractiveTtyNr(p.TtyNr));
    }

    private static void WriteArgs(Utf8JsonWriter w, string[]? args, bool count)
    {
        if (args is null)
        {
            return;
        }

        w.WriteStartArray("args"u8);
        foreach (string a in args)
        {
            w.WriteStringValue(a);
        }

        w.WriteEndArray();
        if (count)
        {
            w.WriteNumber("args_count"u8, args.Length);
        }
    }

    private static void WriteTty(Utf8JsonWriter w, ProcessEntry p)
    {
        if (TtyDevice.Decode(p.TtyNr) is not { } tty)
        {
            return;
        }

        w.WriteStartObject("tty"u8);
        w.WriteStartObject("char_device"u8);
        w.WriteNumber("major"u8, tty.Major);
        w.WriteNumber("minor"u8, tty.Minor);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteId(Utf8JsonWriter w, ReadOnlySpan<byte> property, uint id, string? name)
    {
        w.WriteStartObject(property);
        Span<char> digits = stackalloc char[10];
        id.TryFormat(digits, out int n, default, CultureInfo.InvariantCulture);
        w.WriteString("id"u8, digits[..n]);
        if (name is not null)
        {
            w.WriteString("name"u8, name);
        }

        w.WriteEndObject();
    }

    /// <summary>ISO 8601 UTC with microseconds, e.g. 2026-12-03T19:20:01.123456Z.</summary>
    internal static void WriteTime(Utf8JsonWriter w, ReadOnlySpan<byte> property, long unixNs)
    {
        Span<byte> text = stackalloc byte[32];
        int n = FormatTime(unixNs, text);
        w.WriteString(property, text[..n]);
    }

    /// <summary>Formats ns since the Unix epoch as ISO 8601 UTC with microseconds.</summary>
    internal static int FormatTime(long unixNs, Span<byte> destination)
    {
        var time = new DateTime(DateTime.UnixEpoch.Ticks + (unixNs / 100), DateTimeKind.Utc);
        time.TryFormat(destination, out int n, "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'ffffff'Z'", CultureInfo.InvariantCulture);
        return n;
    }

    /// <inheritdoc />
    public void Dispose() => _json.Dispose();

    private static byte[] SerializeHost(HostInfo host)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            w.WriteStartObject();
            w.WriteString("name"u8, host.Name);
            w.WriteString("hostname"u8, host.HostName);
            w.WriteString("id"u8, host.Id);
            w.WriteString("architecture"u8, host.Architecture);
            w.WriteStartObject("os"u8);
            w.WriteString("type"u8, "linux"u8);
            if (host.KernelRelease is not null)
            {
                w.WriteString("kernel"u8, host.KernelRelease);
            }

            w.WriteEndObject();
            w.WriteStartObject("boot"u8);
            w.WriteString("id"u8, host.BootId);
            w.WriteEndObject();
            if (host.PidNamespaceInode != 0)
            {
                w.WriteNumber("pid_ns_ino"u8, host.PidNamespaceInode);
            }

            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
