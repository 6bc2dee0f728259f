using System.Text;
using System.Text.Json.Nodes;
using Vigil.Events;
using Vigil.Rules;

namespace Vigil.Detection.Tests;

/// <summary>The built-in rule "Tool Installation Detected via Defend for Containers", case by case.</summary>
public sealed class ToolInstallationRuleTests
{
    private static readonly DetectionEngine Engine = new(BuiltInRules.Load().Rules.Select(r => r.Rule));

    /// <summary>An interactive <c>apt-get install curl</c> exec in a container: the rule's positive baseline.</summary>
    private static JsonObject Baseline() => new()
    {
        ["@timestamp"] = "2026-11-20T09:00:00.000Z",
        ["event"] = new JsonObject { ["category"] = new JsonArray("process"), ["type"] = new JsonArray("start"), ["action"] = "exec", ["ingested"] = "2026-11-20T09:00:01.000Z" },
        ["data_stream"] = new JsonObject { ["type"] = "logs", ["dataset"] = "cloud_defend.process", ["namespace"] = "default" },
        ["host"] = new JsonObject { ["name"] = "node-1", ["os"] = new JsonObject { ["type"] = "linux" } },
        ["process"] = new JsonObject
        {
            ["name"] = "apt-get",
            ["args"] = new JsonArray("apt-get", "install", "-y", "curl"),
            ["interactive"] = true,
        },
        ["container"] = new JsonObject { ["id"] = new string('a', 64) },
        ["user"] = new JsonObject { ["name"] = "root" },
    };

    private static List<Alert> Run(JsonObject doc, string? defaultIndex = null)
    {
        var e = EventRecord.FromJson(Encoding.UTF8.GetBytes(doc.ToJsonString()), Engine.Projection, defaultIndex: defaultIndex);
        var alerts = new List<Alert>();
        Engine.Process(e, alerts);
        return alerts;
    }

    private static bool Fires(JsonObject doc, string? defaultIndex = null) => Run(doc, defaultIndex).Count == 1;

    private static JsonObject WithProcess(string name, params string[] args)
    {
        var doc = Baseline();
        doc["process"]!["name"] = name;
        doc["process"]!["args"] = new JsonArray(args.Select(a => (JsonNode?)a).ToArray());
        return doc;
    }

    [Fact]
    public void Baseline_Fires() => Assert.True(Fires(Baseline()));

    [Theory]
    [InlineData("apt", true)]
    [InlineData("apt-get", true)]
    [InlineData("dnf", true)]
    [InlineData("microdnf", true)]
    [InlineData("yum", true)]
    [InlineData("zypper", true)]
    [InlineData("tdnf", true)]
    [InlineData("apk", false)]
    [InlineData("pip", false)]
    [InlineData("APT-GET", false)]
    [InlineData("Yum", false)]
    public void InstallSubcommand_PackageManagers(string manager, bool fires) =>
        Assert.Equal(fires, Fires(WithProcess(manager, manager, "install", "curl")));

    [Theory]
    [InlineData("install", true)]
    [InlineData("INSTALL", false)]
    [InlineData("reinstall", false)]
    [InlineData("remove", false)]
    [InlineData("update", false)]
    public void AptSubcommand_IsCaseSensitiveAndExact(string sub, bool fires) =>
        Assert.Equal(fires, Fires(WithProcess("apt-get", "apt-get", sub, "curl")));

    [Theory]
    [InlineData("add", true)]
    [InlineData("ADD", false)]
    [InlineData("del", false)]
    [InlineData("install", false)]
    public void Apk_NeedsAdd(string sub, bool fires) =>
        Assert.Equal(fires, Fires(WithProcess("apk", "apk", sub, "socat")));

    [Theory]
    [InlineData("-S", true)]
    [InlineData("-Sy", true)]
    [InlineData("-Syu", true)]
    [InlineData("-yS", true)]
    [InlineData("--S", true)]
    [InlineData("-s", false)]
    [InlineData("-Q", false)]
    [InlineData("-Rs", false)]
    [InlineData("--sync", false)]
    [InlineData("S", false)]
    public void Pacman_FlagsNeedDashAndCapitalS(string flag, bool fires) =>
        Assert.Equal(fires, Fires(WithProcess("pacman", "pacman", flag, "--noconfirm", "tor")));

    [Theory]
    [InlineData("rpm", "-i", true)]
    [InlineData("rpm", "--install", true)]
    [InlineData("dpkg", "-i", true)]
    [InlineData("dpkg", "--install", true)]
    [InlineData("rpm", "-ivh", false)]
    [InlineData("rpm", "-I", false)]
    [InlineData("rpm", "-q", false)]
    [InlineData("dpkg", "-l", false)]
    [InlineData("dpkg", "--INSTALL", false)]
    public void RpmAndDpkg_InstallFlags(string manager, string flag, bool fires) =>
        Assert.Equal(fires, Fires(WithProcess(manager, manager, flag, "tor")));

    [Theory]
    [InlineData("curl", true)]
    [InlineData("wget", true)]
    [InlineData("socat", true)]
    [InlineData("busybox", true)]
    [InlineData("openssl", true)]
    [InlineData("torsocks", true)]
    [InlineData("netcat", true)]
    [InlineData("netcat-openbsd", true)]
    [InlineData("netcat-traditional", true)]
    [InlineData("ncat", true)]
    [InlineData("tor", true)]
    [InlineData("python", true)]
    [InlineData("python3", true)]
    [InlineData("python3.11", true)]
    [InlineData("python3-pip", true)]
    [InlineData("perl", true)]
    [InlineData("node", true)]
    [InlineData("nodejs", true)]
    [InlineData("ruby", true)]
    [InlineData("lua", true)]
    [InlineData("bash", true)]
    [InlineData("sh", true)]
    [InlineData("dash", true)]
    [InlineData("zsh", true)]
    [InlineData("fish", true)]
    [InlineData("tcsh", true)]
    [InlineData("csh", true)]
    [InlineData("ksh", true)]
    [InlineData("Python3", false)]
    [InlineData("CURL", false)]
    [InlineData("curlftpfs", false)]
    [InlineData("libcurl4", false)]
    [InlineData("jq", false)]
    [InlineData("ipython", false)]
    [InlineData("nmap", false)]
    public void ToolList_IsMatchedCaseSensitively(string tool, bool fires) =>
        Assert.Equal(fires, Fires(WithProcess("apt-get", "apt-get", "install", tool)));

    [Theory]
    [InlineData("linux", true)]
    [InlineData("Linux", false)]
    [InlineData("windows", false)]
    public void HostOsType_IsCaseSensitive(string os, bool fires)
    {
        var doc = Baseline();
        doc["host"]!["os"]!["type"] = os;
        Assert.Equal(fires, Fires(doc));
    }

    [Theory]
    [InlineData("exec", true)]
    [InlineData("EXEC", false)]
    [InlineData("fork", false)]
    [InlineData("end", false)]
    public void EventAction_MustBeExec(string action, bool fires)
    {
        var doc = Baseline();
        doc["event"]!["action"] = action;
        Assert.Equal(fires, Fires(doc));
    }

    [Theory]
    [InlineData("""["start"]""", true)]
    [InlineData("\"start\"", true)]
    [InlineData("""["start","change"]""", true)]
    [InlineData("""["change","start"]""", true)]
    [InlineData("""["end"]""", false)]
    [InlineData("""["Start"]""", false)]
    public void EventType_SingleOrMultiValued(string type, bool fires)
    {
        var doc = Baseline();
        doc["event"]!["type"] = JsonNode.Parse(type);
        Assert.Equal(fires, Fires(doc));
    }

    [Theory]
    [InlineData("""["process"]""", true)]
    [InlineData("\"process\"", true)]
    [InlineData("""["session","process"]""", true)]
    [InlineData("""["file"]""", false)]
    [InlineData("""["Process"]""", false)]
    public void EventCategory_SingleOrMultiValued(string category, bool fires)
    {
        var doc = Baseline();
        doc["event"]!["category"] = JsonNode.Parse(category);
        Assert.Equal(fires, Fires(doc));
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("false", false)]
    [InlineData(null, false)]
    public void Interactive_MustBeTrue_AndMissingIsNotTrue(string? interactive, bool fires)
    {
        var doc = Baseline();
        var process = doc["process"]!.AsObject();
        process.Remove("interactive");
        if (interactive is not null)
        {
            process["interactive"] = JsonNode.Parse(interactive);
        }
        Assert.Equal(fires, Fires(doc));
    }

    [Theory]
    [InlineData("\"a\"", true)]
    [InlineData("\"\"", false)]
    [InlineData("null", false)]
    [InlineData(null, false)]
    public void ContainerId_MustBeNonEmpty(string? id, bool fires)
    {
        var doc = Baseline();
        doc.Remove("container");
        if (id is not null)
        {
            doc["container"] = new JsonObject { ["id"] = JsonNode.Parse(id) };
        }
        Assert.Equal(fires, Fires(doc));
    }

    [Fact]
    public void Args_AnyElementCountsForBothConditions()
    {
        Assert.True(Fires(WithProcess("apt-get", "apt-get", "-y", "-q", "--no-install-recommends", "install", "vim", "curl")));
        Assert.False(Fires(WithProcess("apt-get", "apt-get", "install")));
    }

    [Fact]
    public void DottedAndNestedKeys_GiveTheSameResult()
    {
        var dotted = new JsonObject();
        foreach (var (path, value) in Flatten(Baseline(), string.Empty))
        {
            dotted[path] = value;
        }
        Assert.True(Fires(dotted));
        var mixed = Baseline();
        mixed.Remove("process");
        mixed["process.name"] = "apt-get";
        mixed["process"] = new JsonObject { ["args"] = new JsonArray("apt-get", "install", "curl"), ["interactive"] = true };
        Assert.True(Fires(mixed));
        var dottedNegative = dotted.DeepClone().AsObject();
        dottedNegative["process.interactive"] = false;
        Assert.False(Fires(dottedNegative));
    }

    private static IEnumerable<(string, JsonNode?)> Flatten(JsonObject o, string prefix)
    {
        foreach (var (k, v) in o)
        {
            var path = prefix.Length == 0 ? k : prefix + "." + k;
            if (v is JsonObject child)
            {
                foreach (var x in Flatten(child, path))
                {
                    yield return x;
                }
            }
            else
            {
                yield return (path, v?.DeepClone());
            }
        }
    }

    [Theory]
    [InlineData("logs", "cloud_defend.process", "default", true)]
    [InlineData("logs", "cloud_defend.process", "prod", true)]
    [InlineData("logs", "cloud_defend.file", "default", false)]
    [InlineData("logs", "endpoint.events.process", "default", false)]
    [InlineData("metrics", "cloud_defend.process", "default", false)]
    public void DataStream_RoutesToRulesWhoseIndexPatternsMatch(string type, string dataset, string ns, bool fires)
    {
        var doc = Baseline();
        doc["data_stream"] = new JsonObject { ["type"] = type, ["dataset"] = dataset, ["namespace"] = ns };
        Assert.Equal(fires, Fires(doc));
    }

    [Theory]
    [InlineData(".ds-logs-cloud_defend.process-default-2026.11.20-000001", true)]
    [InlineData("logs-cloud_defend.process-default", true)]
    [InlineData("logs-cloud_defend.file-default", false)]
    public void IndexField_WinsOverDataStream(string index, bool fires)
    {
        var doc = Baseline();
        doc["_index"] = index;
        doc["data_stream"]!["dataset"] = "something.else";
        Assert.Equal(fires, Fires(doc));
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("logs-cloud_defend.process-default", true)]
    [InlineData("logs-other-default", false)]
    public void EventWithoutIndexInformation_UsesInputIndexOrMeetsEveryRule(string? inputIndex, bool fires)
    {
        var doc = Baseline();
        doc.Remove("data_stream");
        Assert.Equal(fires, Fires(doc, inputIndex));
    }
}
