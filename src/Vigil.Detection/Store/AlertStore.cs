using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Vigil.Detection;

/// <summary>
/// The SQLite alert store: alerts keyed by <c>kibana.alert.uuid</c> (writing one that is already there changes nothing),
/// with the columns people filter on and the whole Kibana document. As a sink it writes in batched transactions (WAL,
/// full sync): an alert counts as stored only once its transaction committed, which <see cref="Committed"/> reports. A
/// crash loses at most the pending batch, never a committed alert. Thread-safe (one lock); several processes may share a
/// file (SQLite locks it; a writer waits up to the busy timeout).
/// </summary>
public sealed class AlertStore : IAlertSink
{
    private static readonly JsonSerializerOptions DocumentJson = new()
    {
        // As alerts are written everywhere: text stays readable ('&', '<', non-ASCII as they are); still valid JSON.
        MaxDepth = Alert.MaxDepth,
        Encoder = Alert.WriterOptions.Encoder,
    };

    private const string Columns = "uuid, rule_id, rule_uuid, rule_name, severity, risk_score, status, original_time, created_at, host, container_id, building_block, document";

    private readonly SqliteConnection _connection;
    private readonly AlertStoreOptions _options;
    private readonly object _gate = new();
    private readonly List<PendingAlert> _pending = [];
    private long _pendingBytes;
    private readonly Dictionary<string, Dictionary<string, object?>> _pendingRules = new(StringComparer.Ordinal);
    private readonly HashSet<string> _rulesSeen = new(StringComparer.Ordinal);
    private readonly Timer _timer;
    private SqliteCommand? _insert;
    private AlertStoreException? _backgroundError;
    private bool _disposed;

    private AlertStore(string path, SqliteConnection connection, AlertStoreOptions options, int version)
    {
        Path = path;
        _connection = connection;
        _options = options;
        SchemaVersion = version;
        _timer = new Timer(OnTimer);
    }

    /// <summary>Opens (creating when needed, unless read-only) the store at <paramref name="path"/> and brings its schema up to date.</summary>
    /// <exception cref="AlertStoreException">The file cannot be opened or is not a Vigil store of a version this build reads.</exception>
    public static AlertStore Open(string path, AlertStoreOptions? options = null) => Open(path, options, targetVersion: null);

    internal static AlertStore Open(string path, AlertStoreOptions? options, int? targetVersion)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new AlertStoreOptions();
        if (options.BatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "BatchSize must be at least 1");
        }
        var full = System.IO.Path.GetFullPath(path);
        if (options.ReadOnly && !File.Exists(full))
        {
            throw new AlertStoreException(full, "no alert store here (vigil scan and vigil watch create it)");
        }
        SqliteConnection? connection = null;
        try
        {
            if (!options.ReadOnly && System.IO.Path.GetDirectoryName(full) is { Length: > 0 } dir)
            {
                Directory.CreateDirectory(dir);
            }
            connection = new SqliteConnection(new SqliteConnectionStringBuilder
            {
                DataSource = full,
                // A read-only open still goes through WAL recovery, which needs write access to the -shm file; ReadWrite
                // without Create keeps "list" and "show" from creating a file by accident.
                Mode = options.ReadOnly ? SqliteOpenMode.ReadWrite : SqliteOpenMode.ReadWriteCreate,
                // No pooling: closing the store must release the file (tests delete it; other processes may take it).
                Pooling = false,
                DefaultTimeout = 30,
            }.ToString());
            var created = !File.Exists(full);
            connection.Open();
            // WAL: readers do not block the writer; FULL: a committed batch survives power loss, not only a crash.
            AlertStoreSchema.Exec(connection, null, "PRAGMA busy_timeout = 10000;");
            // Checked before anything is written: another program's SQLite file must not even be switched to WAL.
            // In one read transaction: the version and the table list must come from the same state of the file, or a
            // store another process is creating right now (tables made, version not yet seen) looks like a foreign file.
            using (var check = connection.BeginTransaction(deferred: true))
            {
                AlertStoreSchema.Verify(connection, check, full);
                check.Commit();
            }
            AlertStoreSchema.Exec(connection, null, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
            if (created && !OperatingSystem.IsWindows())
            {
                // Alerts hold command lines, user names and hosts: readable by their owner only. SQLite gives the -wal and
                // -shm files the same mode.
                File.SetUnixFileMode(full, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            var version = AlertStoreSchema.Migrate(connection, full, targetVersion);
            return new AlertStore(full, connection, options, version);
        }
        catch (SqliteException ex)
        {
            connection?.Dispose();
            throw new AlertStoreException(full, ex.SqliteErrorCode == 26 ? "not a SQLite database" : ex.Message, ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            connection?.Dispose();
            throw new AlertStoreException(full, ex.Message, ex);
        }
        catch
        {
            connection?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The default store: <c>$VIGIL_HOME/alerts.db</c>, else <c>$XDG_DATA_HOME/vigil/alerts.db</c>, else
    /// <c>~/.local/share/vigil/alerts.db</c>.
    /// </summary>
    public static string DefaultPath(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (environment("VIGIL_HOME") is { Length: > 0 } home)
        {
            return System.IO.Path.Combine(home, "alerts.db");
        }
        if (environment("XDG_DATA_HOME") is { Length: > 0 } data && System.IO.Path.IsPathRooted(data))
        {
            return System.IO.Path.Combine(data, "vigil", "alerts.db");
        }
        var user = environment("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return System.IO.Path.Combine(user, ".local", "share", "vigil", "alerts.db");
    }

    /// <summary>The store file (full path).</summary>
    public string Path { get; }

    /// <summary>The schema version of the file (<c>PRAGMA user_version</c>).</summary>
    public int SchemaVersion { get; }

    /// <summary>The schema version this build writes.</summary>
    public static int LatestSchemaVersion => AlertStoreSchema.LatestVersion;

    /// <summary>Alerts added by committed transactions of this instance.</summary>
    public long NewAlerts { get; private set; }

    /// <summary>Alerts written through this instance that were already stored (committed transactions only).</summary>
    public long AlreadyStored { get; private set; }

    /// <summary>Alerts written but not yet committed.</summary>
    public int Pending
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>
    /// Raised after each commit, on the thread that committed (the writer's, or a timer thread for a timed commit), while
    /// the store is locked; what it lists is durable.
    /// </summary>
    public event Action<AlertStoreCommit>? Committed;

    /// <inheritdoc />
    public void Write(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (alert.PrebuiltJson is { } json)
        {
            // Written by the engine already: the columns come from the alert's fields (what it knows, without building its
            // document), the document from its bytes; its document object is built only for the rule's row (once per rule).
            Add(alert.Field, json, () => alert.Document);
            return;
        }
        Add(alert.Document);
    }

    /// <summary>
    /// Queues an alert document (e.g. one received from another process) for the next commit, which adds it unless its
    /// <c>kibana.alert.uuid</c> is already stored. The batch commits when it is full, when its first alert has waited
    /// <see cref="AlertStoreOptions.MaxCommitDelay"/> (on a timer thread), or on <see cref="Commit"/>.
    /// </summary>
    /// <exception cref="AlertStoreException">A commit failed (including a timed commit since the last call).</exception>
    public void Add(JsonObject document)
    {
        ArgumentNullException.ThrowIfNull(document);
        if (string.IsNullOrEmpty(Text(document, "kibana.alert.uuid")))
        {
            throw new ArgumentException("the alert document has no kibana.alert.uuid", nameof(document));
        }
        // Column values are taken now: the caller may reuse or change the document after this returns.
        Add(path => Text(document, path), Alert.Serialize(document), () => document);
    }

    /// <summary>Queues an alert: <paramref name="text"/> reads its fields, <paramref name="json"/> is its document (UTF-8), <paramref name="document"/> its object.</summary>
    private void Add(Func<string, string?> text, byte[] json, Func<JsonObject> document)
    {
        var uuid = text("kibana.alert.uuid")!;
        var ruleId = text("kibana.alert.rule.rule_id") ?? string.Empty;
        var ruleUuid = text("kibana.alert.rule.uuid");
        var ruleName = text("kibana.alert.rule.name") ?? ruleId;
        // A sequence's shell alert carries, as in Kibana, its creation time as kibana.alert.original_time. Its event-time
        // column is taken from its building blocks instead (the earliest of their events), when they are stored.
        var groupId = text("kibana.alert.group.id");
        var isBlock = groupId is not null && text("kibana.alert.group.index") is not null;
        var isShell = groupId is not null && !isBlock;
        var originalTime = isShell ? null : AlertTimes.Normalize(text("kibana.alert.original_time"));
        var row = new object?[]
        {
            uuid,
            ruleId,
            ruleUuid,
            ruleName,
            text("kibana.alert.severity"),
            double.TryParse(text("kibana.alert.risk_score"), NumberStyles.Float, CultureInfo.InvariantCulture, out var risk) ? (long)Math.Round(risk) : null,
            text("kibana.alert.workflow_status") ?? "open",
            originalTime,
            AlertTimes.Normalize(text("@timestamp")) ?? AlertTimes.Format(DateTimeOffset.UtcNow),
            text("host.name") ?? text("host.hostname"),
            text("container.id"),
            text("kibana.alert.building_block_type") is null ? 0L : 1L,
            json,
        };
        var version = text("kibana.alert.rule.version");
        var ruleKey = (ruleUuid ?? ruleId) + "\n" + version;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ThrowBackgroundError();
            _pending.Add(new PendingAlert(row, isBlock && groupId != uuid ? groupId : null, isShell ? BlockIds(document()) : []));
            if (!_rulesSeen.Contains(ruleKey) && !_pendingRules.ContainsKey(ruleKey))
            {
                _pendingRules[ruleKey] = RuleRow(document(), ruleUuid ?? ruleId, ruleId, ruleName, version);
            }
            _pendingBytes += json.Length;
            if (_pending.Count >= _options.BatchSize || _pendingBytes >= _options.MaxBatchBytes)
            {
                CommitLocked();
            }
            else if (_pending.Count == 1)
            {
                _timer.Change(_options.MaxCommitDelay, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>Commits the pending batch (if any) and reports it through <see cref="Committed"/>.</summary>
    /// <exception cref="AlertStoreException">The commit failed; the batch is not stored.</exception>
    public void Commit()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ThrowBackgroundError();
            CommitLocked();
        }
    }

    /// <summary>Commits what is pending (a sink's flush: the end of a scan, or an alert the console just showed live).</summary>
    public void Flush() => Commit();

    private void OnTimer(object? state)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            try
            {
                CommitLocked();
            }
            catch (AlertStoreException ex)
            {
                // Nobody to throw to on the timer thread: the next call does.
                _backgroundError = ex;
            }
        }
    }

    private void ThrowBackgroundError()
    {
        if (_backgroundError is { } error)
        {
            _backgroundError = null;
            throw new AlertStoreException(Path, error.Message[(Path.Length + 2)..], error);
        }
    }

    /// <summary>
    /// One short write transaction per batch: the write lock is held only while the batch is written, so other processes
    /// (a watch and a scan on the same store) take turns instead of waiting for a batch to fill.
    /// </summary>
    private void CommitLocked()
    {
        _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        if (_pending.Count == 0)
        {
            return;
        }
        var newIds = new List<string>();
        var existingIds = new List<string>();
        try
        {
            using var tx = _connection.BeginTransaction();
            var insert = InsertCommand();
            insert.Transaction = tx;
            foreach (var (row, shellId, blockIds) in _pending)
            {
                for (var i = 0; i < row.Length; i++)
                {
                    insert.Parameters[i].Value = row[i] ?? DBNull.Value;
                }
                var added = insert.ExecuteNonQuery() == 1;
                (added ? newIds : existingIds).Add((string)row[0]!);
                if (added)
                {
                    SetShellTime(tx, (string)row[0]!, (string?)row[7], shellId, blockIds);
                }
            }
            foreach (var rule in _pendingRules.Values)
            {
                using var cmd = RuleCommand(rule);
                cmd.Transaction = tx;
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }
        catch (SqliteException ex)
        {
            var lost = _pending.Count;
            _pending.Clear();
            _pendingBytes = 0;
            _pendingRules.Clear();
            throw new AlertStoreException(Path, $"cannot store {lost} alerts: {ex.Message}", ex);
        }
        foreach (var key in _pendingRules.Keys)
        {
            _rulesSeen.Add(key);
        }
        _pending.Clear();
        _pendingBytes = 0;
        _pendingRules.Clear();
        NewAlerts += newIds.Count;
        AlreadyStored += existingIds.Count;
        Committed?.Invoke(new AlertStoreCommit(newIds, existingIds));
    }

    /// <summary>
    /// Keeps a shell's event-time column at the earliest event time of its building blocks, whichever is stored first: a
    /// new shell takes it from blocks already there, a new block lowers its shell's.
    /// </summary>
    private void SetShellTime(SqliteTransaction tx, string uuid, string? originalTime, string? shellId, string[] blockIds)
    {
        using var cmd = _connection.CreateCommand();
        cmd.Transaction = tx;
        if (blockIds.Length > 0)
        {
            var names = blockIds.Select((_, i) => "$b" + i.ToString(CultureInfo.InvariantCulture)).ToList();
            cmd.CommandText = $"UPDATE alerts SET original_time = (SELECT min(original_time) FROM alerts WHERE uuid IN ({string.Join(", ", names)})) WHERE uuid = $u";
            for (var i = 0; i < blockIds.Length; i++)
            {
                cmd.Parameters.AddWithValue(names[i], blockIds[i]);
            }
            cmd.Parameters.AddWithValue("$u", uuid);
            cmd.ExecuteNonQuery();
        }
        else if (shellId is not null && originalTime is not null)
        {
            cmd.CommandText = "UPDATE alerts SET original_time = $t WHERE uuid = $shell AND (original_time IS NULL OR original_time > $t)";
            cmd.Parameters.AddWithValue("$t", originalTime);
            cmd.Parameters.AddWithValue("$shell", shellId);
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>A shell's building blocks: its ancestors of type <c>signal</c> (Kibana's <c>buildAlertRoot</c>).</summary>
    private static string[] BlockIds(JsonObject document) =>
        Node(document, "kibana.alert.ancestors") is JsonArray ancestors
            ? ancestors.OfType<JsonObject>()
                .Where(a => a["type"] is JsonValue t && t.ToString() == "signal" && a["id"] is JsonValue)
                .Select(a => a["id"]!.ToString())
                .ToArray()
            : [];

    private readonly record struct PendingAlert(object?[] Row, string? ShellId, string[] BlockIds);

    private SqliteCommand InsertCommand()
    {
        if (_insert is null)
        {
            _insert = _connection.CreateCommand();
            _insert.CommandText = $"""
                INSERT INTO alerts ({Columns})
                VALUES ($uuid, $rule_id, $rule_uuid, $rule_name, $severity, $risk_score, $status, $original_time, $created_at, $host, $container_id, $building_block, CAST($document AS TEXT))
                ON CONFLICT (uuid) DO NOTHING
                """;
            foreach (var name in Columns.Split(", "))
            {
                _insert.Parameters.Add(new SqliteParameter("$" + name, null));
            }
            _insert.Prepare();
        }
        return _insert;
    }

    /// <summary>The rule's guide, false positives and MITRE mapping, written once per rule and version for this instance.</summary>
    private static Dictionary<string, object?> RuleRow(JsonObject document, string ruleUuid, string ruleId, string name, string? version) => new()
    {
        ["$rule_uuid"] = ruleUuid,
        ["$rule_id"] = ruleId,
        ["$name"] = name,
        ["$version"] = long.TryParse(version, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null,
        ["$note"] = Text(document, "kibana.alert.rule.note"),
        ["$fp"] = Node(document, "kibana.alert.rule.false_positives")?.ToJsonString(DocumentJson),
        ["$threat"] = Node(document, "kibana.alert.rule.threat")?.ToJsonString(DocumentJson),
        ["$refs"] = Node(document, "kibana.alert.rule.references")?.ToJsonString(DocumentJson),
        ["$now"] = AlertTimes.Format(DateTimeOffset.UtcNow),
    };

    private SqliteCommand RuleCommand(Dictionary<string, object?> row)
    {
        var cmd = _connection.CreateCommand();
        cmd.CommandText = """
            INSERT INTO rules (rule_uuid, rule_id, name, version, note, false_positives, threat, references_json, updated_at)
            VALUES ($rule_uuid, $rule_id, $name, $version, $note, $fp, $threat, $refs, $now)
            ON CONFLICT (rule_uuid) DO UPDATE SET rule_id = excluded.rule_id, name = excluded.name, version = excluded.version,
                note = excluded.note, false_positives = excluded.false_positives, threat = excluded.threat,
                references_json = excluded.references_json, updated_at = excluded.updated_at
            WHERE coalesce(excluded.version, 0) >= coalesce(rules.version, 0)
            """;
        foreach (var (name, value) in row)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return cmd;
    }

    /// <summary>Alerts matching <paramref name="query"/>, newest event first.</summary>
    public IReadOnlyList<StoredAlert> List(AlertQuery query)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ArgumentNullException.ThrowIfNull(query);
            using var cmd = _connection.CreateCommand();
            var where = new List<string>();
            if (query.RuleId is { } ruleId)
            {
                where.Add("rule_id = $rule_id");
                cmd.Parameters.AddWithValue("$rule_id", ruleId);
            }
            if (query.Severity is { } severity)
            {
                where.Add("severity = $severity");
                cmd.Parameters.AddWithValue("$severity", severity.ToLowerInvariant());
            }
            if (query.Status is { } status)
            {
                where.Add("status = $status");
                cmd.Parameters.AddWithValue("$status", StatusText(status));
            }
            if (query.Since is { } since)
            {
                where.Add("created_at >= $since");
                cmd.Parameters.AddWithValue("$since", AlertTimes.Format(since));
            }
            if (!query.IncludeBuildingBlocks)
            {
                where.Add("building_block = 0");
            }
            cmd.CommandText = $"SELECT {Columns} FROM alerts" + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : string.Empty)
                + " ORDER BY original_time DESC, created_at DESC, uuid" + (query.Limit is { } limit ? " LIMIT " + limit.ToString(CultureInfo.InvariantCulture) : string.Empty);
            return Read(cmd);
        }
    }

    /// <summary>Number of alerts stored.</summary>
    public long Count()
    {
        lock (_gate)
        {
            return AlertStoreSchema.Scalar<long>(_connection, null, "SELECT count(*) FROM alerts");
        }
    }

    /// <summary>The alert whose uuid is, or uniquely starts with, <paramref name="uuidOrPrefix"/>; null when none does.</summary>
    /// <exception cref="AlertStoreException">The prefix matches more than one alert.</exception>
    public StoredAlert? Find(string uuidOrPrefix)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var uuid = Resolve(uuidOrPrefix);
            if (uuid is null)
            {
                return null;
            }
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = $"SELECT {Columns} FROM alerts WHERE uuid = $uuid";
            cmd.Parameters.AddWithValue("$uuid", uuid);
            return Read(cmd).SingleOrDefault();
        }
    }

    /// <summary>The full uuid for a uuid or unique prefix; null when nothing matches.</summary>
    /// <exception cref="AlertStoreException">The prefix matches more than one alert.</exception>
    public string? Resolve(string uuidOrPrefix)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ArgumentNullException.ThrowIfNull(uuidOrPrefix);
            var prefix = uuidOrPrefix.Trim().ToLowerInvariant();
            if (prefix.Length == 0)
            {
                return null;
            }
            using var cmd = _connection.CreateCommand();
            // A range on the unique index instead of LIKE (which would scan and treat '_' and '%' as wildcards).
            cmd.CommandText = "SELECT uuid FROM alerts WHERE uuid >= $lo AND uuid < $hi ORDER BY uuid LIMIT 3";
            cmd.Parameters.AddWithValue("$lo", prefix);
            cmd.Parameters.AddWithValue("$hi", prefix + "\uFFFF");
            var found = new List<string>();
            using (var reader = cmd.ExecuteReader())
            {
                while (reader.Read())
                {
                    found.Add(reader.GetString(0));
                }
            }
            if (found.Contains(prefix, StringComparer.Ordinal))
            {
                return prefix;
            }
            return found.Count switch
            {
                0 => null,
                1 => found[0],
                _ => throw new AlertStoreException(Path, $"'{uuidOrPrefix}' matches several alerts ({string.Join(", ", found.Take(2))}, ...); give more of the uuid"),
            };
        }
    }

    /// <summary>The rule metadata kept for <paramref name="ruleUuid"/>, if any.</summary>
    public StoredRule? FindRule(string ruleUuid)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = "SELECT rule_uuid, rule_id, name, note, false_positives, threat FROM rules WHERE rule_uuid = $u";
            cmd.Parameters.AddWithValue("$u", ruleUuid);
            using var r = cmd.ExecuteReader();
            return r.Read()
                ? new StoredRule(r.GetString(0), r.GetString(1), r.GetString(2), NullableString(r, 3), NullableString(r, 4), NullableString(r, 5))
                : null;
        }
    }

    /// <summary>
    /// Sets the workflow status of every alert in <paramref name="uuidsOrPrefixes"/>, in the column and in the stored
    /// document (<c>kibana.alert.workflow_status</c>, <c>kibana.alert.workflow_status_updated_at</c>), in one transaction.
    /// Nothing changes unless every id resolves. Returns the full uuids with their previous status.
    /// </summary>
    /// <exception cref="AlertStoreException">An id matches no alert or several.</exception>
    public IReadOnlyList<(string Uuid, string PreviousStatus)> SetStatus(IEnumerable<string> uuidsOrPrefixes, AlertWorkflowStatus status, DateTimeOffset? at = null)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ArgumentNullException.ThrowIfNull(uuidsOrPrefixes);
            Commit();
            var ids = new List<string>();
            var unknown = new List<string>();
            foreach (var given in uuidsOrPrefixes)
            {
                if (Resolve(given) is { } uuid)
                {
                    if (!ids.Contains(uuid, StringComparer.Ordinal))
                    {
                        ids.Add(uuid);
                    }
                }
                else
                {
                    unknown.Add(given);
                }
            }
            if (unknown.Count > 0)
            {
                throw new AlertStoreException(Path, $"no alert with uuid {string.Join(", ", unknown.Select(u => $"'{u}'"))}; nothing was changed");
            }
            var text = StatusText(status);
            var when = AlertTimes.Format(at ?? DateTimeOffset.UtcNow);
            var result = new List<(string, string)>();
            using var tx = _connection.BeginTransaction();
            foreach (var uuid in ids)
            {
                using var read = _connection.CreateCommand();
                read.Transaction = tx;
                read.CommandText = $"SELECT {Columns} FROM alerts WHERE uuid = $u";
                read.Parameters.AddWithValue("$u", uuid);
                var stored = Read(read).Single();
                var previous = stored.Status;
                // The document is rewritten through System.Text.Json rather than SQLite's json_set, which would re-render
                // numbers and escapes of the whole document. A damaged one stops everything: the transaction is rolled back.
                if (!stored.TryDocument(out var doc, out var error))
                {
                    throw new AlertStoreException(Path, error + "; nothing was changed");
                }
                doc["kibana.alert.workflow_status"] = text;
                doc["kibana.alert.workflow_status_updated_at"] = when;
                using var update = _connection.CreateCommand();
                update.Transaction = tx;
                update.CommandText = "UPDATE alerts SET status = $s, status_updated_at = $t, document = $d WHERE uuid = $u";
                update.Parameters.AddWithValue("$s", text);
                update.Parameters.AddWithValue("$t", when);
                update.Parameters.AddWithValue("$d", doc.ToJsonString(DocumentJson));
                update.Parameters.AddWithValue("$u", uuid);
                update.ExecuteNonQuery();
                result.Add((uuid, previous));
            }
            tx.Commit();
            return result;
        }
    }

    /// <summary>Runs <c>PRAGMA integrity_check</c>; "ok" when the file is sound.</summary>
    public string IntegrityCheck()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Commit();
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = "PRAGMA integrity_check";
            var lines = new StringBuilder();
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                lines.AppendLine(r.GetString(0));
            }
            return lines.ToString().Trim();
        }
    }

    /// <summary>The text form of a status (<c>open</c>, <c>acknowledged</c>, <c>closed</c>).</summary>
    public static string StatusText(AlertWorkflowStatus status) => status switch
    {
        AlertWorkflowStatus.Open => "open",
        AlertWorkflowStatus.Acknowledged => "acknowledged",
        AlertWorkflowStatus.Closed => "closed",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    /// <summary>Parses <c>open</c>, <c>acknowledged</c> or <c>closed</c> (any case).</summary>
    public static bool TryParseStatus(string? text, out AlertWorkflowStatus status)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "open":
                status = AlertWorkflowStatus.Open;
                return true;
            case "acknowledged":
                status = AlertWorkflowStatus.Acknowledged;
                return true;
            case "closed":
                status = AlertWorkflowStatus.Closed;
                return true;
            default:
                status = default;
                return false;
        }
    }

    private static List<StoredAlert> Read(SqliteCommand cmd)
    {
        var list = new List<StoredAlert>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            list.Add(new StoredAlert(
                r.GetString(0), r.GetString(1), NullableString(r, 2), r.GetString(3), NullableString(r, 4),
                r.IsDBNull(5) ? null : r.GetInt32(5), r.GetString(6), NullableString(r, 7), r.GetString(8),
                NullableString(r, 9), NullableString(r, 10), r.GetInt64(11) != 0, r.GetString(12)));
        }
        return list;
    }

    private static string? NullableString(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    /// <summary>A field as text: a dotted alert key, or a source field by path (nested or dotted).</summary>
    private static string? Text(JsonObject doc, string path) => Alert.Text(doc, path);

    private static JsonNode? Node(JsonObject doc, string path) =>
        doc.TryGetPropertyValue(path, out var v) ? v : JsonFlattener.Get(doc, path).FirstOrDefault(n => n is not null);

    /// <summary>Commits what is pending and closes the file.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            try
            {
                _timer.Dispose();
                ThrowBackgroundError();
                CommitLocked();
            }
            finally
            {
                _disposed = true;
                _insert?.Dispose();
                _connection.Dispose();
            }
        }
    }
}
