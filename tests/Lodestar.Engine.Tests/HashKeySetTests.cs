using Lodestar.Engine.Ingestion;

namespace Lodestar.Engine.Tests;

/// <summary><see cref="HashKeySet"/> against the base library's <see cref="HashSet{T}"/> as the reference.</summary>
public sealed class HashKeySetTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void AnswersAsAHashSet_OnRandomKeysWithRepeats(int seed)
    {
        var random = new Random(seed);
        using var set = new HashKeySet();
        var reference = new HashSet<UInt128>();
        var added = new List<UInt128>();
        for (int i = 0; i < 200_000; i++)
        {
            // One add in five repeats an earlier key.
            var key = added.Count > 0 && random.Next(5) == 0 ? added[random.Next(added.Count)] : RandomKey(random);
            Assert.Equal(reference.Add(key), set.Add(key));
            added.Add(key);
        }

        Assert.Equal(reference.Count, set.Count);
        foreach (var key in reference) Assert.True(set.Contains(key));
        for (int i = 0; i < 100_000; i++)
        {
            var key = RandomKey(random);
            Assert.Equal(reference.Contains(key), set.Contains(key));
        }
    }

    [Fact]
    public void KeysOnOneProbeChain_WrappingPastTheEndOfTheirShard_AreAllFound()
    {
        // Same top byte (one shard) and all low 32 bits set (the shard's last slot at every size): every key probes
        // the same chain, which wraps to the start of the array, and the shard grows several times under it.
        using var set = new HashKeySet();
        var keys = Enumerable.Range(1, 5_000).Select(i => (UInt128.One << 120) | ((UInt128)(ulong)i << 64) | uint.MaxValue).ToList();
        foreach (var key in keys) Assert.True(set.Add(key));
        foreach (var key in keys) Assert.False(set.Add(key));
        Assert.Equal(keys.Count, set.Count);
        foreach (var key in keys) Assert.True(set.Contains(key));
        Assert.False(set.Contains((UInt128.One << 120) | ((UInt128)5_001UL << 64) | uint.MaxValue));
        Assert.False(set.Contains((UInt128)2 << 120));
    }

    [Fact]
    public void AKey_IsItsLow96BitsAndItsTopByte()
    {
        using var set = new HashKeySet();
        var key = new UInt128(0x0A00_0000_1234_5678, 0x9ABC_DEF0_1122_3344);
        Assert.True(set.Add(key));
        // Bits 96 to 119 are not kept: a key that differs only there is the same key (one chance in 10^31 for hashes).
        Assert.True(set.Contains(key ^ ((UInt128)0x00FF_FFFF << 96)));
        // Any bit of the low 96 or of the top byte tells keys apart.
        for (int bit = 0; bit < 96; bit++) Assert.False(set.Contains(key ^ (UInt128.One << bit)));
        for (int bit = 120; bit < 128; bit++) Assert.False(set.Contains(key ^ (UInt128.One << bit)));
    }

    [Fact]
    public void TheZeroKey_IsAKeyLikeAnyOther()
    {
        using var set = new HashKeySet();
        Assert.False(set.Contains(UInt128.Zero));
        Assert.True(set.Add(UInt128.Zero));
        Assert.False(set.Add(UInt128.Zero));
        Assert.True(set.Contains(UInt128.Zero));
        Assert.False(set.Contains(UInt128.One));
        Assert.Equal(1, set.Count);
    }

    [Fact]
    public void Memory_IsTwelveBytesPerSlot_AtLeastFortySixPercentFull_AtEverySize()
    {
        var random = new Random(7);
        using var set = new HashKeySet();
        // Shards grow by half at 0.70 to 0.80 full, so each is at least 0.70 / 1.5 = 0.47 full (26 bytes a key) at any
        // moment; were they to grow in step (at one threshold) or double, some sizes would show 0.35 or less.
        for (int i = 1; i <= 2_000_000; i++)
        {
            set.Add(RandomKey(random));
            if (i % 50_000 == 0) Assert.InRange((double)set.SlotBytes / set.Count, 12, 26);
        }
    }

    [Fact]
    public void Dispose_FreesTheSlots_AndLeavesAnEmptySet()
    {
        var set = new HashKeySet();
        var random = new Random(3);
        var keys = Enumerable.Range(0, 10_000).Select(_ => RandomKey(random)).ToList();
        foreach (var key in keys) set.Add(key);
        set.Add(UInt128.Zero);
        set.Dispose();
        Assert.Equal(0, set.SlotBytes);
        Assert.Equal(0, set.Count);
        Assert.False(set.Contains(keys[0]));
        Assert.False(set.Contains(UInt128.Zero));
        set.Dispose();
    }

    [Fact]
    public void OnLinux_LargeShardsAreMappingsOfTheirOwn()
    {
        // The lookup of mmap in libc.so.6 must succeed on the machines Lodestar runs on (glibc).
        if (OperatingSystem.IsLinux() && File.Exists("/etc/debian_version")) Assert.True(PageMemory.MapsLargeBlocks);
    }

    private static UInt128 RandomKey(Random random) => new((ulong)random.NextInt64() ^ ((ulong)random.Next() << 63), (ulong)random.NextInt64());
}
