using System.Text.RegularExpressions;

namespace Vigil.Triage;

/// <summary>
/// The seed rule's tools as package names across distributions: the rule matches binaries in <c>process.args</c>, a
/// responder looks at packages, so the list adds the names distributions ship them under (<c>netcat-openbsd</c>,
/// <c>nmap-ncat</c>, <c>curl-minimal</c>, <c>python3.11-minimal</c>, <c>lua5.4</c>, ...).
/// </summary>
internal static partial class ToolCatalog
{
    public static ToolKind Classify(string package)
    {
        var name = package;
        int colon = name.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0)
        {
            name = name[..colon];
        }
        name = name.ToLowerInvariant();
        return NetworkTool().IsMatch(name) ? ToolKind.NetworkTool
            : Interpreter().IsMatch(name) ? ToolKind.Interpreter
            : Shell().IsMatch(name) ? ToolKind.Shell
            : ToolKind.None;
    }

    public static string Name(ToolKind kind) => kind switch
    {
        ToolKind.NetworkTool => "network-tool",
        ToolKind.Interpreter => "interpreter",
        ToolKind.Shell => "shell",
        _ => string.Empty,
    };

    [GeneratedRegex(@"^(curl(-minimal)?|wget2?(-wget)?|socat|openssl|torsocks|tor|netcat(-openbsd|-traditional)?|openbsd-netcat|gnu-netcat|nc|ncat|nmap(-ncat)?|busybox(-static|-extras|-binsh)?)$")]
    private static partial Regex NetworkTool();

    [GeneratedRegex(@"^(python[0-9.]*(-minimal)?|pypy[0-9.]*|perl(-base|-interpreter)?|perl5[0-9.]*|node|nodejs(-current)?|ruby[0-9.]*|lua[0-9.]*|luajit)$")]
    private static partial Regex Interpreter();

    [GeneratedRegex(@"^(bash|sh|dash|zsh|fish|tcsh|csh|ksh|ksh93|mksh|loksh|oksh)$")]
    private static partial Regex Shell();
}
