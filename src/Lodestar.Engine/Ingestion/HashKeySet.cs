namespace Lodestar.Engine.Ingestion;

/// <summary>
/// A set of 128-bit hashes kept as densely as a set can be: 16-byte slots in open-addressed arrays (linear probing),
/// no stored hash code, no chain links, no per-entry object. The keys are already uniform hashes, so their own bits
/// pick the slot. The set is split into shards by the key's top byte, so growing it doubles one small array at a time
/// instead of copying one huge array while the old one is still alive (which is what a <see cref="HashSet{T}"/> of
/// millions of keys does, 32-byte entries plus buckets, on the large-object heap). Only adds, never removes: the
/// de-duplication window drops whole sets when they expire. Single-threaded.
/// </summary>
/// <remarks>
/// Written by hand: the base library's sets store a hash code, a link and padding beside each 16-byte key, and no
/// well-kept package offers a flat set of 128-bit keys.
/// </remarks>
public sealed class HashKeySet
{
    private const int ShardBits = 8;
    private const int FirstShardSlots = 64;

    // Zero marks an empty slot; the one key that is zero is remembered apart.
    private readonly UInt128[]?[] _shards = new UInt128[]?[1 << ShardBits];
    private readonly int[] _counts = new int[1 << ShardBits];
    private bool _hasZero;

    public int Count { get; private set; }

    /// <summary>Bytes held by the slot arrays (the set's memory, less a few kilobytes of bookkeeping).</summary>
    public long SlotBytes
    {
        get
        {
            long slots = 0;
            foreach (var shard in _shards) slots += shard?.Length ?? 0;
            return slots * 16;
        }
    }

    public bool Contains(UInt128 key)
    {
        if (key == UInt128.Zero) return _hasZero;
        var slots = _shards[ShardOf(key)];
        if (slots is null) return false;
        int mask = slots.Length - 1;
        for (int i = (int)(ulong)key & mask; ; i = (i + 1) & mask)
        {
            var slot = slots[i];
            if (slot == key) return true;
            if (slot == UInt128.Zero) return false;
        }
    }

    /// <summary>Adds <paramref name="key"/>; false when it was there already.</summary>
    public bool Add(UInt128 key)
    {
        if (key == UInt128.Zero)
        {
            if (_hasZero) return false;
            _hasZero = true;
            Count++;
            return true;
        }

        int shard = ShardOf(key);
        var slots = _shards[shard] ??= new UInt128[FirstShardSlots];
        // Grow before the shard is three quarters full: probes stay short (a missing key, the common case, reads about
        // eight slots at that load, two or three cache lines).
        if ((_counts[shard] + 1) * 4L > slots.Length * 3L) slots = _shards[shard] = Grow(slots);
        if (!Insert(slots, key)) return false;
        _counts[shard]++;
        Count++;
        return true;
    }

    private static int ShardOf(UInt128 key) => (int)(key >> (128 - ShardBits));

    private static bool Insert(UInt128[] slots, UInt128 key)
    {
        int mask = slots.Length - 1;
        for (int i = (int)(ulong)key & mask; ; i = (i + 1) & mask)
        {
            var slot = slots[i];
            if (slot == key) return false;
            if (slot == UInt128.Zero)
            {
                slots[i] = key;
                return true;
            }
        }
    }

    private static UInt128[] Grow(UInt128[] slots)
    {
        var grown = new UInt128[slots.Length * 2];
        foreach (var key in slots)
        {
            if (key != UInt128.Zero) Insert(grown, key);
        }

        return grown;
    }
}
