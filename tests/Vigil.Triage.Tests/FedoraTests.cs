using Microsoft.Data.Sqlite;

namespace Vigil.Triage.Tests;

public sealed class FedoraTests : IDisposable
{
    private readonly Fixture _fx = new();

    public void Dispose() => _fx.Dispose();

    private static readonly DateTimeOffset ImageTime = new(2024, 2, 1, 10, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset ExecTime = new(2024, 4, 2, 3, 4, 5, TimeSpan.Zero);

    // libdnf's swdb schema (the tables this reader joins, with the columns dnf 4 writes; 'state' replaced 'done').
    private const string DnfSchema = """
        CREATE TABLE trans (id INTEGER PRIMARY KEY AUTOINCREMENT, dt_begin INTEGER NOT NULL, dt_end INTEGER,
            rpmdb_version_begin TEXT, rpmdb_version_end TEXT, releasever TEXT NOT NULL, user_id INTEGER NOT NULL,
            cmdline TEXT, state INTEGER NOT NULL, comment TEXT);
        CREATE TABLE repo (id INTEGER PRIMARY KEY, repoid TEXT NOT NULL);
        CREATE TABLE console_output (id INTEGER PRIMARY KEY, trans_id INTEGER REFERENCES trans(id), file_descriptor INTEGER NOT NULL, line TEXT NOT NULL);
        CREATE TABLE item (id INTEGER PRIMARY KEY, item_type INTEGER NOT NULL);
        CREATE TABLE trans_item (id INTEGER PRIMARY KEY AUTOINCREMENT, trans_id INTEGER REFERENCES trans(id),
            item_id INTEGER REFERENCES item(id), repo_id INTEGER REFERENCES repo(id), action INTEGER NOT NULL,
            reason INTEGER NOT NULL, state INTEGER NOT NULL, CONSTRAINT trans_item_unique_trans_item UNIQUE (trans_id, item_id));
        CREATE TABLE item_replaced_by (trans_item_id INTEGER REFERENCES trans_item(id), by_trans_item_id INTEGER REFERENCES trans_item(id), PRIMARY KEY (trans_item_id, by_trans_item_id));
        CREATE TABLE trans_with (id INTEGER PRIMARY KEY AUTOINCREMENT, trans_id INTEGER REFERENCES trans(id), item_id INTEGER REFERENCES item(id));
        CREATE TABLE rpm (item_id INTEGER UNIQUE NOT NULL, name TEXT NOT NULL, epoch INTEGER NOT NULL, version TEXT NOT NULL,
            release TEXT NOT NULL, arch TEXT NOT NULL, FOREIGN KEY(item_id) REFERENCES item(id),
            CONSTRAINT rpm_unique_nevra UNIQUE (name, epoch, version, release, arch));
        CREATE TABLE config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO config VALUES ('version', '1.2');
        INSERT INTO repo VALUES (1, 'fedora'), (2, 'updates'), (3, '@System');
        """;

    /// <summary>Writes a dnf history with real transactions: image build, an interactive install, an upgrade, a removal, a failed item.</summary>
    private void WriteDnfHistory(string hostPath, bool wal = false)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(hostPath)!);
        using (var db = new SqliteConnection($"Data Source={hostPath};Pooling=False"))
        {
            db.Open();
            Exec(db, DnfSchema);
            if (wal)
            {
                Exec(db, "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;");
            }
            int item = 0;
            int Rpm(string name, int epoch, string version, string release, string arch = "x86_64")
            {
                item++;
                Exec(db, $"INSERT INTO item VALUES ({item}, 1); INSERT INTO rpm VALUES ({item}, '{name}', {epoch}, '{version}', '{release}', '{arch}');");
                return item;
            }
            void Trans(int id, DateTimeOffset begin, string cmdline, int uid) =>
                Exec(db, $"INSERT INTO trans VALUES ({id}, {begin.ToUnixTimeSeconds()}, {begin.ToUnixTimeSeconds() + 20}, 'a', 'b', '39', {uid}, '{cmdline}', 1, NULL);");
            void Item(int trans, int itemId, int action, int reason, int state = 1) =>
                Exec(db, $"INSERT INTO trans_item (trans_id, item_id, repo_id, action, reason, state) VALUES ({trans}, {itemId}, 1, {action}, {reason}, {state});");

            var bash = Rpm("bash", 0, "5.2.26", "3.fc39");
            var openssl1 = Rpm("openssl", 1, "3.1.1", "4.fc39");
            var coreutils = Rpm("coreutils", 0, "9.3", "4.fc39");
            var tar = Rpm("tar", 2, "1.35", "2.fc39");
            Trans(1, ImageTime, "install bash openssl coreutils tar", 0);
            Item(1, bash, 1, 2);
            Item(1, openssl1, 1, 1);
            Item(1, coreutils, 1, 2);
            Item(1, tar, 1, 1);

            var ncat = Rpm("nmap-ncat", 3, "7.92", "1.fc39");
            var python = Rpm("python3", 0, "3.12.2", "2.fc39");
            var broken = Rpm("socat", 0, "1.7.4.4", "3.fc39");
            Trans(2, ExecTime, "install -y nmap-ncat python3 socat", 1000);
            Item(2, ncat, 1, 2);
            Item(2, python, 1, 1);
            Item(2, broken, 1, 2, state: 2); // error: never installed

            var openssl2 = Rpm("openssl", 1, "3.1.4", "1.fc39");
            Trans(3, ExecTime.AddMinutes(5), "upgrade openssl", 1000);
            Item(3, openssl2, 6, 1);
            Item(3, openssl1, 7, 1);

            Trans(4, ExecTime.AddMinutes(9), "remove tar", 1000);
            Item(4, tar, 8, 1);
            if (wal)
            {
                // Leave the last transaction only in the -wal file, as a live system might.
                var python2 = Rpm("perl-interpreter", 4, "5.38.2", "502.fc39");
                Trans(5, ExecTime.AddMinutes(20), "install perl-interpreter", 1000);
                Item(5, python2, 1, 2);
                // With autocheckpoint off, the main file still has the schema only: every transaction is in the -wal.
                File.Copy(hostPath, hostPath + ".keep");
                File.Copy(hostPath + "-wal", hostPath + "-wal.keep");
            }
        }
        if (wal)
        {
            // Closing the last connection checkpoints the WAL into the main file; put the un-merged state back.
            File.Move(hostPath + ".keep", hostPath, overwrite: true);
            File.Move(hostPath + "-wal.keep", hostPath + "-wal", overwrite: true);
        }
    }

    private static void Exec(SqliteConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    [Fact]
    public void DnfHistory_GivesTimelineWithCommandLines()
    {
        WriteDnfHistory(_fx.HostPath("/var/lib/dnf/history.sqlite"));
        var report = _fx.Run();
        Assert.Empty(report.Warnings);
        Assert.Equal(["dnf", "rpm"], report.Managers);
        var events = report.Events.Select(e => $"{e.Time:MM-dd HH:mm} {e.Action} {e.Package} {e.PreviousVersion}>{e.Version} [{e.CommandLine}] {e.RequestedBy}").ToArray();
        Assert.Equal(
        [
            "02-01 10:00 Install bash >5.2.26-3.fc39 [install bash openssl coreutils tar] uid 0",
            "02-01 10:00 Install openssl >1:3.1.1-4.fc39 [install bash openssl coreutils tar] uid 0",
            "02-01 10:00 Install coreutils >9.3-4.fc39 [install bash openssl coreutils tar] uid 0",
            "02-01 10:00 Install tar >2:1.35-2.fc39 [install bash openssl coreutils tar] uid 0",
            "04-02 03:04 Install nmap-ncat >3:7.92-1.fc39 [install -y nmap-ncat python3 socat] uid 1000",
            "04-02 03:04 Install python3 >3.12.2-2.fc39 [install -y nmap-ncat python3 socat] uid 1000",
            "04-02 03:09 Upgrade openssl 1:3.1.1-4.fc39>1:3.1.4-1.fc39 [upgrade openssl] uid 1000",
            "04-02 03:13 Remove tar >2:1.35-2.fc39 [remove tar] uid 1000",
        ], events);
        Assert.Equal("/var/lib/dnf/history.sqlite:trans 2", report.Events[4].Source);
    }

    [Fact]
    public void DnfHistory_ReplaysTheInstalledSet_AndFindsWhatWasAdded()
    {
        WriteDnfHistory(_fx.HostPath("/var/lib/dnf/history.sqlite"));
        var report = _fx.Run();
        var packages = report.Packages.Select(p => $"{p.Name} {p.Version} {p.Explicit}").ToArray();
        Assert.Equal(["bash 5.2.26-3.fc39 True", "coreutils 9.3-4.fc39 True", "nmap-ncat 3:7.92-1.fc39 True", "openssl 1:3.1.4-1.fc39 False", "python3 3.12.2-2.fc39 False"], packages);
        Assert.Equal(ImageTime.AddSeconds(0), report.ImageCutoff);
        var added = report.Added.Select(a => $"{a.Package.Name} {ToolCatalog.Name(a.Package.Flag)} {a.Reason} [{a.CommandLine}]").ToArray();
        Assert.Equal(
        [
            "nmap-ncat network-tool installed after the image's first install batch [install -y nmap-ncat python3 socat]",
            "python3 interpreter installed after the image's first install batch [install -y nmap-ncat python3 socat]",
            "openssl network-tool upgraded after the image's first install batch [upgrade openssl]",
        ], added);
    }

    [Fact]
    public void DnfHistory_InWalMode_ReadsTheUnmergedTransactions_WithoutTouchingTheRoot()
    {
        var db = _fx.HostPath("/var/lib/dnf/history.sqlite");
        WriteDnfHistory(db, wal: true);
        Assert.True(File.Exists(db + "-wal"));
        using (var mainOnly = new Fixture())
        {
            // Without its -wal the database holds no transaction: what follows can only come from the -wal.
            Directory.CreateDirectory(mainOnly.HostPath("/var/lib/dnf"));
            File.Copy(db, mainOnly.HostPath("/var/lib/dnf/history.sqlite"));
            Assert.Empty(mainOnly.Run().Events);
        }
        var before = Snapshot.Take(_fx.Root);
        var report = _fx.Run();
        Assert.Contains(report.Events, e => e.Package == "perl-interpreter" && e.CommandLine == "install perl-interpreter");
        Assert.Equal(9, report.Events.Count);
        Assert.Equal(before, Snapshot.Take(_fx.Root));
        Assert.False(File.Exists(db + "-shm"));
    }

    [Fact]
    public void CorruptDatabase_IsAWarning_AndOtherManagersStillRead()
    {
        _fx.Write("/var/lib/dnf/history.sqlite", "SQLite format 3\0 but then garbage, not a database at all. ".PadRight(4096, 'x'))
            .Write("/var/lib/dpkg/status", "Package: curl\nStatus: install ok installed\nVersion: 1\n");
        var report = _fx.Run();
        var w = Assert.Single(report.Warnings);
        Assert.Equal("/var/lib/dnf/history.sqlite", w.File);
        Assert.Contains("cannot read the history database", w.Message, StringComparison.Ordinal);
        Assert.Equal("curl", Assert.Single(report.Packages).Name);
    }

    [Fact]
    public void YumHistory_IsReadToo()
    {
        var path = _fx.HostPath("/var/lib/yum/history/history-2024-01-01.sqlite");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (var db = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            db.Open();
            Exec(db, """
                CREATE TABLE trans_beg (tid INTEGER PRIMARY KEY, timestamp INTEGER NOT NULL, rpmdb_version TEXT NOT NULL, loginuid INTEGER);
                CREATE TABLE trans_end (tid INTEGER PRIMARY KEY REFERENCES trans_beg, timestamp INTEGER NOT NULL, rpmdb_version TEXT NOT NULL, return_code INTEGER NOT NULL);
                CREATE TABLE trans_cmdline (tid INTEGER NOT NULL REFERENCES trans_beg, cmdline TEXT NOT NULL);
                CREATE TABLE pkgtups (pkgtupid INTEGER PRIMARY KEY, name TEXT NOT NULL, arch TEXT NOT NULL, epoch TEXT NOT NULL, version TEXT NOT NULL, release TEXT NOT NULL, checksum TEXT);
                CREATE TABLE trans_data_pkgs (tid INTEGER NOT NULL REFERENCES trans_beg, pkgtupid INTEGER NOT NULL REFERENCES pkgtups, done BOOL NOT NULL DEFAULT FALSE, state TEXT NOT NULL);
                INSERT INTO pkgtups VALUES (1, 'bash', 'x86_64', '0', '4.2.46', '35.el7_9', NULL), (2, 'wget', 'x86_64', '0', '1.14', '18.el7_6.1', NULL);
                INSERT INTO trans_beg VALUES (1, 1700000000, 'x', 0), (2, 1710000000, 'y', 1000);
                INSERT INTO trans_cmdline VALUES (1, 'install bash'), (2, 'install -y wget');
                INSERT INTO trans_data_pkgs VALUES (1, 1, 'TRUE', 'Install'), (2, 2, 'TRUE', 'True-Install');
                """);
        }
        var report = _fx.Run();
        Assert.Empty(report.Warnings);
        var wget = Assert.Single(report.Added);
        Assert.Equal(("wget", "1.14-18.el7_6.1", "install -y wget"), (wget.Package.Name, wget.Package.Version, wget.CommandLine));
        Assert.Equal(["bash", "wget"], report.Packages.Select(p => p.Name));
    }

    [Fact]
    public void Dnf5History_IsReadWithItsOwnSchema()
    {
        var path = _fx.HostPath("/usr/lib/sysimage/libdnf5/transaction_history.sqlite");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (var db = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            db.Open();
            // dnf5's tables as its create_tables.sql lays them out (the ones read here), with its enum tables.
            Exec(db, $"""
                CREATE TABLE trans_state (id INTEGER PRIMARY KEY, name TEXT);
                INSERT INTO trans_state VALUES (1, 'Started'), (2, 'Ok'), (3, 'Error');
                CREATE TABLE trans (id INTEGER PRIMARY KEY AUTOINCREMENT, dt_begin INTEGER NOT NULL, dt_end INTEGER, rpmdb_version_begin TEXT,
                    rpmdb_version_end TEXT, releasever TEXT NOT NULL, user_id INTEGER NOT NULL, description TEXT, comment TEXT, state_id INTEGER REFERENCES trans_state(id));
                CREATE TABLE repo (id INTEGER PRIMARY KEY, repoid TEXT NOT NULL);
                CREATE TABLE pkg_name (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
                CREATE TABLE arch (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
                CREATE TABLE item (id INTEGER PRIMARY KEY);
                CREATE TABLE trans_item (id INTEGER PRIMARY KEY AUTOINCREMENT, trans_id INTEGER REFERENCES trans(id), item_id INTEGER REFERENCES item(id),
                    repo_id INTEGER REFERENCES repo(id), action_id INTEGER NOT NULL, reason_id INTEGER NOT NULL, state_id INTEGER NOT NULL);
                CREATE TABLE rpm (item_id INTEGER NOT NULL UNIQUE REFERENCES item(id), name_id INTEGER NOT NULL REFERENCES pkg_name(id), epoch INTEGER NOT NULL,
                    version TEXT NOT NULL, release TEXT NOT NULL, arch_id INTEGER NOT NULL REFERENCES arch(id));
                INSERT INTO pkg_name VALUES (1, 'bash'), (2, 'wget2-wget'), (3, 'openssl');
                INSERT INTO arch VALUES (1, 'x86_64'), (2, 'noarch');
                INSERT INTO item VALUES (1), (2), (3), (4);
                INSERT INTO rpm VALUES (1, 1, 0, '5.2.32', '1.fc41', 1), (2, 2, 0, '2.1.0', '11.fc41', 1), (3, 3, 1, '3.2.2', '3.fc41', 1), (4, 3, 1, '3.2.4', '1.fc41', 1);
                INSERT INTO trans VALUES (1, {ImageTime.ToUnixTimeSeconds()}, NULL, NULL, NULL, '41', 0, 'dnf5 install bash openssl', NULL, 2);
                INSERT INTO trans VALUES (2, {ExecTime.ToUnixTimeSeconds()}, NULL, NULL, NULL, '41', 0, 'dnf5 install -y wget2-wget', NULL, 2);
                INSERT INTO trans VALUES (3, {ExecTime.ToUnixTimeSeconds() + 60}, NULL, NULL, NULL, '41', 0, 'dnf5 upgrade openssl', NULL, 2);
                INSERT INTO trans_item (trans_id, item_id, repo_id, action_id, reason_id, state_id) VALUES
                    (1, 1, NULL, 1, 2, 2), (1, 3, NULL, 1, 1, 2), (2, 2, NULL, 1, 6, 2), (3, 4, NULL, 2, 1, 2), (3, 3, NULL, 6, 1, 2);
                """);
        }
        var report = _fx.Run();
        Assert.Empty(report.Warnings);
        var events = report.Events.Select(e => $"{e.Action} {e.Package} {e.PreviousVersion}>{e.Version} [{e.CommandLine}]").ToArray();
        Assert.Equal(
        [
            "Install bash >5.2.32-1.fc41 [dnf5 install bash openssl]",
            "Install openssl >1:3.2.2-3.fc41 [dnf5 install bash openssl]",
            "Install wget2-wget >2.1.0-11.fc41 [dnf5 install -y wget2-wget]",
            "Upgrade openssl 1:3.2.2-3.fc41>1:3.2.4-1.fc41 [dnf5 upgrade openssl]",
        ], events);
        Assert.Equal(["bash True", "openssl False", "wget2-wget True"], report.Packages.Select(p => $"{p.Name} {p.Explicit}"));
        Assert.Equal(["wget2-wget", "openssl"], report.Added.Select(a => a.Package.Name));
        Assert.Equal(ToolKind.NetworkTool, report.Added[0].Package.Flag);
    }
}
