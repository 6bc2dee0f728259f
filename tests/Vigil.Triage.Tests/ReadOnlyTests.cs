using System.IO.Compression;

namespace Vigil.Triage.Tests;

public sealed class ReadOnlyTests : IDisposable
{
    private readonly Fixture _fx = new();

    public void Dispose() => _fx.Dispose();

    [Fact]
    public void Triage_LeavesTheRootAndTheBaselineExactlyAsTheyWere()
    {
        _fx.Write("/var/lib/dpkg/status", "Package: curl\nStatus: install ok installed\nVersion: 8.0\n\nbroken\n")
            .Write("/var/log/dpkg.log", "2024-05-05 05:05:05 install curl:amd64 <none> 8.0\nbad line\n")
            .WriteGz("/var/log/dpkg.log.1.gz", "2024-01-01 00:00:00 install bash:amd64 <none> 5.2\n")
            .Write("/var/log/apt/history.log", "Start-Date: 2024-05-05  05:05:04\nCommandline: apt install curl\nInstall: curl:amd64 (8.0)\nEnd-Date: 2024-05-05  05:05:06\n")
            .Write("/lib/apk/db/installed", "P:musl\nV:1.2\n\n")
            .Write("/etc/apk/world", "musl\n")
            .Write("/var/lib/pacman/local/zsh-5.9-1/desc", "%NAME%\nzsh\n\n%VERSION%\n5.9-1\n")
            .Write("/var/log/pacman.log", "[2024-03-09T22:15:30+0000] [ALPM] installed zsh (5.9-1)\n")
            .Write("/usr/lib/python3.12/site-packages/requests-2.31.0.dist-info/INSTALLER", "pip\n", new DateTime(2024, 6, 1, 0, 0, 0, DateTimeKind.Utc))
            .Symlink("/var/log/escape", "../../../../x");
        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_fx.HostPath("/var/lib/dnf/history.sqlite")};Pooling=False"))
        {
            Directory.CreateDirectory(_fx.HostPath("/var/lib/dnf"));
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = """
                CREATE TABLE trans (id INTEGER PRIMARY KEY, dt_begin INTEGER NOT NULL, dt_end INTEGER, cmdline TEXT, user_id INTEGER NOT NULL, state INTEGER NOT NULL);
                CREATE TABLE item (id INTEGER PRIMARY KEY, item_type INTEGER NOT NULL);
                CREATE TABLE trans_item (id INTEGER PRIMARY KEY, trans_id INTEGER, item_id INTEGER, repo_id INTEGER, action INTEGER NOT NULL, reason INTEGER NOT NULL, state INTEGER NOT NULL);
                CREATE TABLE rpm (item_id INTEGER UNIQUE NOT NULL, name TEXT NOT NULL, epoch INTEGER NOT NULL, version TEXT NOT NULL, release TEXT NOT NULL, arch TEXT NOT NULL);
                INSERT INTO trans VALUES (1, 1700000000, 1700000010, 'install ruby', 0, 1);
                INSERT INTO item VALUES (1, 1);
                INSERT INTO rpm VALUES (1, 'ruby', 0, '3.2', '1', 'x86_64');
                INSERT INTO trans_item VALUES (1, 1, 1, 1, 1, 2, 1);
                """;
            cmd.ExecuteNonQuery();
        }
        using var image = new Fixture();
        image.Write("/var/lib/dpkg/status", "Package: bash\nStatus: install ok installed\nVersion: 5.2\n");

        var before = Snapshot.Take(_fx.Root);
        var imageBefore = Snapshot.Take(image.Root);
        // Make modification times distinguishable from "now" so a write would show even within the same second.
        Thread.Sleep(20);
        var report = _fx.Run();
        _fx.Run(new TriageOptions { BaselineRoot = image.Root });
        Assert.Equal(before, Snapshot.Take(_fx.Root));
        Assert.Equal(imageBefore, Snapshot.Take(image.Root));

        // The run did read every manager (so the snapshot proves something).
        Assert.Equal(["apk", "apt", "dnf", "dpkg", "pacman", "pip", "rpm"], report.Managers);
        Assert.NotEmpty(report.Warnings);
    }
}
