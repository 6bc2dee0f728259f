using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Vigil.Triage.Readers;

/// <summary>
/// dnf's history database (<c>/var/lib/dnf/history.sqlite</c>, libdnf "swdb"), dnf5's
/// (<c>/usr/lib/sysimage/libdnf5/transaction_history.sqlite</c>) and yum's
/// (<c>/var/lib/yum/history/history-*.sqlite</c>). The installed set is replayed from the history, since the rpm
/// database itself (Berkeley DB or SQLite of rpm headers) is not read.
/// </summary>
internal static class RpmHistoryReader
{
    public const string DnfPath = "/var/lib/dnf/history.sqlite";
    public const string YumDir = "/var/lib/yum/history";
    public const string Dnf5Path = "/usr/lib/sysimage/libdnf5/transaction_history.sqlite";

    /// <summary>Replayed state: name.arch to the package and its install event.</summary>
    private sealed class Installed : Dictionary<string, (string Name, string Version, string Arch, DateTimeOffset? Time, bool? Explicit, string Source)>
    {
        public Installed() : base(StringComparer.Ordinal)
        {
        }
    }

    public static void Read(TriageContext ctx)
    {
        var installed = new Installed();
        bool any = false;
        foreach (var file in ctx.Fs.List(YumDir).Where(n => n.StartsWith("history-", StringComparison.Ordinal) && n.EndsWith(".sqlite", StringComparison.Ordinal)))
        {
            any |= WithCopy(ctx, $"{YumDir}/{file}", (db, path) => ReadYum(ctx, db, path, installed));
        }
        any |= WithCopy(ctx, DnfPath, (db, path) => ReadDnf(ctx, db, path, installed));
        any |= WithCopy(ctx, Dnf5Path, (db, path) => ReadDnf(ctx, db, path, installed));
        if (!any)
        {
            return;
        }
        foreach (var p in installed.Values.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            ctx.Package("rpm", p.Name, p.Version, p.Arch, p.Time, p.Explicit, p.Source);
        }
    }

    /// <summary>
    /// SQLite never opens a file under the root: even read-only it may create <c>-wal</c>/<c>-shm</c> files or take
    /// locks next to the database, so the database (and a <c>-wal</c> beside it, which holds committed transactions not
    /// yet merged) is copied to a private temporary directory first.
    /// </summary>
    private static bool WithCopy(TriageContext ctx, string path, Action<SqliteConnection, string> read)
    {
        if (!ctx.Fs.FileExists(path))
        {
            return false;
        }
        var temp = Directory.CreateTempSubdirectory("vigil-triage-");
        try
        {
            var copy = Path.Join(temp.FullName, "history.sqlite");
            if (!ctx.Fs.CopyTo(path, copy))
            {
                return false;
            }
            if (ctx.Fs.FileExists(path + "-wal"))
            {
                ctx.Fs.CopyTo(path + "-wal", copy + "-wal");
            }
            var builder = new SqliteConnectionStringBuilder
            {
                DataSource = copy,
                // The copy may need its WAL merged, which needs write access to the copy (never to the original).
                Mode = File.Exists(copy + "-wal") ? SqliteOpenMode.ReadWrite : SqliteOpenMode.ReadOnly,
                Pooling = false,
            };
            using var db = new SqliteConnection(builder.ConnectionString);
            db.Open();
            read(db, path);
            return true;
        }
        catch (SqliteException ex)
        {
            ctx.Fs.Warn(path, null, $"cannot read the history database: {ex.Message}");
            return true;
        }
        catch (IOException ex)
        {
            ctx.Fs.Warn(path, null, $"cannot copy the history database: {ex.Message}");
            return false;
        }
        finally
        {
            try
            {
                temp.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static HashSet<string> Columns(SqliteConnection db, string table)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = $"SELECT name FROM pragma_table_info('{table}')";
        using var r = cmd.ExecuteReader();
        var columns = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (r.Read())
        {
            columns.Add(r.GetString(0));
        }
        return columns;
    }

    // libdnf's TransactionItemAction.
    private const int Install = 1, Downgrade = 2, Downgraded = 3, Obsolete = 4, Obsoleted = 5, Upgrade = 6, Upgraded = 7,
        Remove = 8, Reinstall = 9;

    private static void ReadDnf(TriageContext ctx, SqliteConnection db, string path, Installed installed)
    {
        var itemColumns = Columns(db, "trans_item");
        using var cmd = db.CreateCommand();
        if (itemColumns.Contains("action_id"))
        {
            // dnf5: names and arches in their own tables, states 1 started / 2 ok / 3 error, and its own action
            // numbers (1 install, 2 upgrade, 3 downgrade, 4 reinstall, 5 remove, 6 replaced, 7 reason change)
            // mapped here onto libdnf's.
            cmd.CommandText = """
                SELECT t.id, t.dt_begin, t.dt_end, t.description, t.user_id, ti.id,
                       CASE ti.action_id WHEN 1 THEN 1 WHEN 2 THEN 6 WHEN 3 THEN 2 WHEN 4 THEN 9 WHEN 5 THEN 8 WHEN 6 THEN 7 ELSE 11 END,
                       CASE ti.reason_id WHEN 6 THEN 2 ELSE ti.reason_id END,
                       n.name, r.epoch, r.version, r.release, a.name
                FROM trans_item ti
                JOIN trans t ON t.id = ti.trans_id
                JOIN rpm r ON r.item_id = ti.item_id
                JOIN pkg_name n ON n.id = r.name_id
                JOIN arch a ON a.id = r.arch_id
                WHERE ti.state_id = 2
                ORDER BY t.id, ti.id
                """;
        }
        else
        {
            // libdnf 0.1x: trans.done / trans_item.done (bool); later: .state (1 = done, 2 = error).
            var itemDone = itemColumns.Contains("state") ? "ti.state = 1" : "ti.done = 1";
            cmd.CommandText = $"""
                SELECT t.id, t.dt_begin, t.dt_end, t.cmdline, t.user_id, ti.id, ti.action, ti.reason,
                       r.name, r.epoch, r.version, r.release, r.arch
                FROM trans_item ti
                JOIN trans t ON t.id = ti.trans_id
                JOIN rpm r ON r.item_id = ti.item_id
                WHERE {itemDone}
                ORDER BY t.id, ti.id
                """;
        }
        var rows = new List<(long Trans, DateTimeOffset? Time, string? Cmd, long User, long Item, int Action, int Reason, string Name, string Version, string Arch)>();
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                try
                {
                    long epoch = r.IsDBNull(9) ? 0 : r.GetInt64(9);
                    var version = (epoch > 0 ? $"{epoch.ToString(CultureInfo.InvariantCulture)}:" : string.Empty) + $"{r.GetString(10)}-{r.GetString(11)}";
                    DateTimeOffset? time = r.IsDBNull(1) ? null : TriageContext.FromUnix(r.GetInt64(1));
                    rows.Add((r.GetInt64(0), time, r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? -1 : r.GetInt64(4),
                        r.GetInt64(5), (int)r.GetInt64(6), r.IsDBNull(7) ? 0 : (int)r.GetInt64(7), r.GetString(8), version, r.GetString(12)));
                }
                catch (Exception ex) when (ex is InvalidCastException or FormatException or ArgumentOutOfRangeException)
                {
                    ctx.Fs.Warn(path, null, $"trans_item row {(r.IsDBNull(5) ? "?" : r.GetValue(5))} has an unexpected value ({ex.Message}); skipped");
                }
            }
        }
        foreach (var row in rows)
        {
            PackageAction? action = row.Action switch
            {
                Install or Obsolete => PackageAction.Install,
                Upgrade => PackageAction.Upgrade,
                Downgrade => PackageAction.Downgrade,
                Reinstall => PackageAction.Reinstall,
                Remove or Obsoleted => PackageAction.Remove,
                _ => null, // the replaced side of an upgrade/downgrade, reinstalled, reason change
            };
            var key = $"{row.Name}.{row.Arch}";
            if (row.Action is Upgraded or Downgraded)
            {
                continue;
            }
            if (action is not { } a)
            {
                continue;
            }
            string? previous = null;
            if (a is PackageAction.Upgrade or PackageAction.Downgrade)
            {
                // dnf5 has one "replaced" action for both directions (mapped to Upgraded).
                previous = rows.FirstOrDefault(o => o.Trans == row.Trans && o.Name == row.Name && o.Arch == row.Arch && o.Action is Upgraded or Downgraded).Version;
            }
            var source = $"{path}:trans {row.Trans.ToString(CultureInfo.InvariantCulture)}";
            var user = row.User >= 0 ? $"uid {row.User.ToString(CultureInfo.InvariantCulture)}" : null;
            ctx.Event(row.Time, "dnf", a, row.Name, row.Version, previous, row.Cmd, user, source, $"dnf#{row.Trans.ToString(CultureInfo.InvariantCulture)}");
            Apply(installed, key, a, row.Name, row.Version, row.Arch, row.Time, row.Reason == 0 ? null : row.Reason == 2, path);
        }
    }

    private static void ReadYum(TriageContext ctx, SqliteConnection db, string path, Installed installed)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = """
            SELECT b.tid, b.timestamp, b.loginuid, c.cmdline, d.state, p.name, p.arch, p.epoch, p.version, p.release
            FROM trans_data_pkgs d
            JOIN trans_beg b ON b.tid = d.tid
            JOIN pkgtups p ON p.pkgtupid = d.pkgtupid
            LEFT JOIN trans_cmdline c ON c.tid = d.tid
            WHERE d.done = 'TRUE'
            ORDER BY b.tid, d.pkgtupid
            """;
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var tid = r.GetInt64(0);
            var time = TriageContext.FromUnix(r.GetInt64(1));
            var state = r.GetString(4);
            var name = r.GetString(5);
            var arch = r.GetString(6);
            var epoch = r.IsDBNull(7) ? "0" : r.GetString(7);
            var version = (epoch is "0" or "" ? string.Empty : epoch + ":") + $"{r.GetString(8)}-{r.GetString(9)}";
            PackageAction? action = state switch
            {
                "Install" or "True-Install" or "Dep-Install" or "Obsoleting" => PackageAction.Install,
                "Update" => PackageAction.Upgrade,
                "Downgrade" => PackageAction.Downgrade,
                "Reinstall" => PackageAction.Reinstall,
                "Erase" or "Obsoleted" => PackageAction.Remove,
                _ => null, // "Updated", "Downgraded": the replaced side
            };
            if (action is not { } a)
            {
                continue;
            }
            var user = r.IsDBNull(2) ? null : $"uid {r.GetValue(2)}";
            ctx.Event(time, "yum", a, name, version, null, r.IsDBNull(3) ? null : r.GetString(3), user,
                $"{path}:tid {tid.ToString(CultureInfo.InvariantCulture)}", $"{path}#{tid.ToString(CultureInfo.InvariantCulture)}");
            Apply(installed, $"{name}.{arch}", a, name, version, arch, time, state is "Install" or "True-Install" ? true : state == "Dep-Install" ? false : null, path);
        }
    }

    private static void Apply(Installed installed, string key, PackageAction action, string name, string version, string arch, DateTimeOffset? time, bool? isExplicit, string source)
    {
        if (action is PackageAction.Remove or PackageAction.Purge)
        {
            if (installed.TryGetValue(key, out var current) && current.Version == version)
            {
                installed.Remove(key);
            }
            return;
        }
        var wasExplicit = installed.TryGetValue(key, out var old) ? old.Explicit : null;
        installed[key] = (name, version, arch, time, isExplicit ?? wasExplicit, source);
    }
}
