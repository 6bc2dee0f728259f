namespace Vigil.Triage;

/// <summary>What a package manager did to a package.</summary>
public enum PackageAction
{
    /// <summary>A package was installed.</summary>
    Install,

    /// <summary>A package was replaced by a newer version.</summary>
    Upgrade,

    /// <summary>A package was replaced by an older version.</summary>
    Downgrade,

    /// <summary>The same version was installed again.</summary>
    Reinstall,

    /// <summary>A package was removed (its configuration may remain).</summary>
    Remove,

    /// <summary>A package and its configuration were removed.</summary>
    Purge,
}

/// <summary>Why a package is worth a responder's attention: the seed rule's tool classes.</summary>
public enum ToolKind
{
    /// <summary>Not one of the flagged tools.</summary>
    None,

    /// <summary>Downloader, relay or network client (curl, wget, socat, netcat, nmap, openssl, tor, busybox).</summary>
    NetworkTool,

    /// <summary>Script interpreter (python, perl, node, ruby, lua).</summary>
    Interpreter,

    /// <summary>Interactive shell (bash, zsh, dash, ...).</summary>
    Shell,
}

/// <summary>One package event from a package manager's log or history.</summary>
/// <param name="Time">When it happened; logs without a zone (dpkg, apt, old pacman) are read as UTC.</param>
/// <param name="Manager">The record's origin: dpkg, apt, apk, dnf, yum, pacman or pip.</param>
/// <param name="Action">What happened.</param>
/// <param name="Package">Package name (without a dpkg <c>:arch</c> suffix).</param>
/// <param name="Version">The version after the event (for removals: the version removed).</param>
/// <param name="PreviousVersion">The version replaced, for upgrades and downgrades.</param>
/// <param name="CommandLine">The command that caused it, where the manager records one.</param>
/// <param name="RequestedBy">The user that ran it, where recorded.</param>
/// <param name="Source">The file and line (or database row) the event was read from, as a path inside the root.</param>
/// <param name="Flag">The tool class when the package is a network tool, interpreter or shell.</param>
public sealed record PackageEvent(
    DateTimeOffset? Time,
    string Manager,
    PackageAction Action,
    string Package,
    string? Version,
    string? PreviousVersion,
    string? CommandLine,
    string? RequestedBy,
    string Source,
    ToolKind Flag)
{
    /// <summary>Groups events of one transaction (one apt run, one dnf transaction, one burst of dpkg lines).</summary>
    internal string Batch { get; init; } = string.Empty;
}

/// <summary>A package present in the root file system.</summary>
/// <param name="Manager">dpkg, apk, rpm (from dnf/yum history), pacman or pip.</param>
/// <param name="Name">Package name.</param>
/// <param name="Version">Installed version.</param>
/// <param name="Architecture">Architecture where recorded.</param>
/// <param name="InstalledAt">Install time where the database records it (pacman, pip file times).</param>
/// <param name="Explicit">True when asked for by name (apk world, pacman explicit, dnf user reason), false for dependencies, null when unknown.</param>
/// <param name="Source">The file the entry was read from, as a path inside the root.</param>
/// <param name="Flag">The tool class when the package is a network tool, interpreter or shell.</param>
public sealed record InstalledPackage(
    string Manager,
    string Name,
    string? Version,
    string? Architecture,
    DateTimeOffset? InstalledAt,
    bool? Explicit,
    string Source,
    ToolKind Flag);

/// <summary>A package judged to have been added after the image was built.</summary>
/// <param name="Package">The package as present now.</param>
/// <param name="Time">When it was (last) installed, where known.</param>
/// <param name="CommandLine">The command that installed it, where known.</param>
/// <param name="Reason">Why it counts as added: after the image's first batch, missing from the baseline, or a different version.</param>
public sealed record AddedPackage(InstalledPackage Package, DateTimeOffset? Time, string? CommandLine, string Reason);

/// <summary>A record that could not be read, or a path that was refused.</summary>
/// <param name="File">Path inside the root (prefixed with <c>baseline:</c> for the baseline root).</param>
/// <param name="Line">1-based line, when the problem is on one line.</param>
/// <param name="Message">What is wrong.</param>
public sealed record TriageWarning(string File, int? Line, string Message)
{
    /// <summary>
    /// The warning in the clickable <c>file(line): warning: message</c> form. Paths and quoted text come from the
    /// container's files, so control characters (other than tab) are written as <c>\xNN</c>: they cannot drive the
    /// terminal and still show what was there.
    /// </summary>
    public override string ToString() => Escape(Line is { } l ? $"{File}({l}): warning: {Message}" : $"{File}: warning: {Message}");

    private static string Escape(string s)
    {
        if (!s.Any(c => char.IsControl(c) && c != '\t'))
        {
            return s;
        }
        var sb = new System.Text.StringBuilder(s.Length + 16);
        foreach (var c in s)
        {
            if (char.IsControl(c) && c != '\t')
            {
                sb.Append(@"\x").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }
}
