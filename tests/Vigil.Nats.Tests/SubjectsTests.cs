using System.Text;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Vigil.Nats.Tests;

public sealed class SubjectsTests
{
    [Fact]
    public void HostKey_PrefersHostIdAndReadsDottedKeys()
    {
        Assert.Equal("abc", Subjects.HostKey("{\"host\":{\"id\":\"abc\",\"name\":\"n\"}}"u8));
        Assert.Equal("abc", Subjects.HostKey("{\"host.id\":\"abc\",\"host.name\":\"n\"}"u8));
        Assert.Equal("n", Subjects.HostKey("{\"host\":{\"name\":\"n\"}}"u8));
        Assert.Equal(string.Empty, Subjects.HostKey("{\"process\":{\"pid\":1}}"u8));
    }

    [Fact]
    public void Partition_IsFnv1aOfTheHostKey_SoEveryLanguageCanComputeIt()
    {
        // FNV-1a 32 of "a" is 0xE40C292C; of "" the offset basis 0x811C9DC5.
        Assert.Equal((int)(0xE40C292Cu % 8), Subjects.Partition("a", 8));
        Assert.Equal((int)(0x811C9DC5u % 16), Subjects.Partition(string.Empty, 16));
        var hosts = Enumerable.Range(0, 64).Select(i => $"host-{i}").ToArray();
        Assert.All(hosts, h => Assert.Equal(Subjects.Partition(h, 8), Subjects.Partition(h, 8)));
        Assert.True(hosts.Select(h => Subjects.Partition(h, 8)).Distinct().Count() >= 6, "64 hosts should spread over most of 8 partitions");
    }

    [Fact]
    public void Subject_CarriesPartitionAndASafeHostToken()
    {
        var key = "web-1.prod.example.com";
        var subject = Subjects.EventSubject("vigil.events", key, 8);
        Assert.Equal($"vigil.events.{Subjects.Partition(key, 8)}.web-1_prod_example_com", subject);
        Assert.Equal("_", Subjects.HostToken(string.Empty));
        Assert.Equal("a_b_c_d", Subjects.HostToken("a*b>c d"));
        Assert.Equal(64, Subjects.HostToken(new string('x', 100)).Length);
        Assert.Equal("vigil.events.3.>", Subjects.PartitionFilter("vigil.events", 3));
        Assert.True(Encoding.UTF8.GetByteCount(subject) < 256);
    }
}
