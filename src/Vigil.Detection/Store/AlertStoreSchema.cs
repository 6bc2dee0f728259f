using Microsoft.Data.Sqlite;

namespace Vigil.Detection;

/// <summary>
/// The store's schema as an ordered list of migrations. <c>PRAGMA user_version</c> holds the number of migrations applied;
/// each migration runs in its own transaction together with the version bump, so a crash leaves the file at one version or
/// the next, never between. Append new migrations; never edit a released one.
/// </summary>
internal static class AlertStoreSchema
{
    /// <summary><c>PRAGMA application_id</c> of a Vigil alert store ("VGIL"), so another program's SQLite file is never migrated.</summary>
    public const int ApplicationId = 0x5647494C;

    /// <summary>Migration i (0-based) takes the file from version i to version i + 1.</summary>
    public static readonly IReadOnlyList<Action<SqliteConnection, SqliteTransaction>> Migrations =
    [
        // 1: one row per alert: the columns people filter on, and the whole Kibana document.
        (c, tx) => Exec(c, tx, """
            CREATE TABLE alerts (
                id            INTEGER PRIMARY KEY,
                uuid          TEXT NOT NULL UNIQUE,
                rule_id       TEXT NOT NULL,
                rule_uuid     TEXT,
                rule_name     TEXT NOT NULL,
                severity      TEXT,
                risk_score    INTEGER,
                status        TEXT NOT NULL,
                original_time TEXT,
                created_at    TEXT NOT NULL,
                host          TEXT,
                container_id  TEXT,
                document      TEXT NOT NULL
            );
            CREATE INDEX alerts_rule ON alerts(rule_id);
            CREATE INDEX alerts_created ON alerts(created_at);
            CREATE INDEX alerts_status ON alerts(status);
            """),

        // 2: building blocks can be hidden like Kibana does; status changes are dated; rule metadata (investigation guide,
        // false positives, MITRE) is kept once per rule so `alerts show` can render it for alerts whose document lacks it.
        (c, tx) =>
        {
            Exec(c, tx, """
                ALTER TABLE alerts ADD COLUMN building_block INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE alerts ADD COLUMN status_updated_at TEXT;
                UPDATE alerts SET building_block = 1
                    WHERE json_extract(document, '$."kibana.alert.building_block_type"') IS NOT NULL;
                CREATE INDEX alerts_original_time ON alerts(original_time);
                CREATE TABLE rules (
                    rule_uuid       TEXT PRIMARY KEY,
                    rule_id         TEXT NOT NULL,
                    name            TEXT NOT NULL,
                    version         INTEGER,
                    note            TEXT,
                    false_positives TEXT,
                    threat          TEXT,
                    references_json TEXT,
                    updated_at      TEXT NOT NULL
                );
                INSERT OR REPLACE INTO rules (rule_uuid, rule_id, name, version, note, false_positives, threat, references_json, updated_at)
                SELECT coalesce(rule_uuid, rule_id), rule_id, rule_name,
                       json_extract(document, '$."kibana.alert.rule.version"'),
                       json_extract(document, '$."kibana.alert.rule.note"'),
                       json_extract(document, '$."kibana.alert.rule.false_positives"'),
                       json_extract(document, '$."kibana.alert.rule.threat"'),
                       json_extract(document, '$."kibana.alert.rule.references"'),
                       created_at
                FROM alerts ORDER BY created_at;
                """);
        },
    ];

    /// <summary>The version a store has once every migration ran.</summary>
    public static int LatestVersion => Migrations.Count;

    /// <summary>Brings the file up to <paramref name="targetVersion"/> (tests stop early to build older stores).</summary>
    public static int Migrate(SqliteConnection connection, string path, int? targetVersion = null)
    {
        var target = targetVersion ?? LatestVersion;
        while (true)
        {
            // The version is read inside a write transaction: two processes opening a new store at once must not both
            // run migration 1 (the second waits, then finds the work done).
            using var tx = connection.BeginTransaction(deferred: false);
            var version = Verify(connection, tx, path);
            if (version >= target)
            {
                tx.Commit();
                return (int)version;
            }
            Migrations[(int)version](connection, tx);
            // PRAGMAs take no parameters; the values are our own integers.
            Exec(connection, tx, $"PRAGMA user_version = {version + 1}; PRAGMA application_id = {ApplicationId};");
            tx.Commit();
        }
    }

    /// <summary>The file's schema version, after checking it is a Vigil store this build can read (or an empty file).</summary>
    public static int Verify(SqliteConnection connection, SqliteTransaction? tx, string path)
    {
        var version = Scalar<long>(connection, tx, "PRAGMA user_version");
        var appId = Scalar<long>(connection, tx, "PRAGMA application_id");
        if (appId != 0 && appId != ApplicationId)
        {
            throw new AlertStoreException(path, $"not a Vigil alert store (SQLite application_id 0x{appId:X8})");
        }
        if (version > LatestVersion)
        {
            throw new AlertStoreException(path, $"the store has schema version {version}, newer than this vigil understands ({LatestVersion}); use a newer vigil");
        }
        if (version == 0 && Scalar<long>(connection, tx, "SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'") > 0)
        {
            throw new AlertStoreException(path, "not a Vigil alert store (the SQLite file already holds other tables)");
        }
        return (int)version;
    }

    internal static void Exec(SqliteConnection c, SqliteTransaction? tx, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    internal static T Scalar<T>(SqliteConnection c, SqliteTransaction? tx, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        return (T)Convert.ChangeType(cmd.ExecuteScalar()!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }
}
