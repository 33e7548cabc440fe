using System.Runtime.InteropServices;

namespace Lodestar.Engine.Ingestion;

/// <summary>
/// A set of 128-bit hashes kept as densely as a set can be: 12-byte slots in open-addressed arrays (linear probing),
/// no stored hash code, no chain links, no per-entry object. The keys are already uniform hashes, so their own bits
/// pick the slot. The set is split into shards by the key's top byte, so growing it copies one small array at a time
/// instead of one huge array while the old one is still alive (which is what a <see cref="HashSet{T}"/> of millions
/// of keys does, 32-byte entries plus buckets, on the large-object heap). Only adds, never removes: the de-duplication
/// window drops whole sets when they expire. Single-threaded.
/// </summary>
/// <remarks>
/// <para>
/// A slot keeps the key's low 96 bits; its top 8 bits are implied by the shard it is in, and bits 96 to 119 are
/// dropped. Two keys are taken for one only when those 104 bits agree: for uniform hashes, about one chance in 10^31
/// per key in the set, a risk no store of this size can see, where storing all 128 bits took a third more memory
/// (measured: 369 MB for 13 million de-duplication ids at 16 bytes a slot).
/// </para>
/// <para>
/// Written by hand: the base library's sets store a hash code, a link and padding beside each 16-byte key, and no
/// well-kept package offers a flat set of 128-bit keys.
/// </para>
/// <para>
/// The slots live in native memory (<see cref="PageMemory"/>), freed the moment a shard outgrows them or the set is disposed. As arrays on the
/// large-object heap, every outgrown copy stayed until a full collection, and the set's growth was what set those off.
/// A shard grows by half (not double) at a load between 0.70 and 0.80 that differs from shard to shard: the keys
/// spread evenly, so shards that grew at one threshold would all grow at once, doubling the set's memory (measured:
/// 134 to 268 MB at 6.3 million ids) and stalling the writer while it copied them all.
/// </para>
/// </remarks>
public sealed unsafe class HashKeySet : IDisposable
{
    private const int ShardBits = 8;
    private const int FirstShardSlots = 64;

    // An all-zero slot is empty; a key whose low 96 bits are zero is remembered apart.
    private readonly Shard[] _shards = new Shard[1 << ShardBits];
    private bool _hasZero;

    public int Count { get; private set; }

    /// <summary>Bytes held by the slot arrays (the set's memory, less a few kilobytes of bookkeeping).</summary>
    public long SlotBytes
    {
        get
        {
            long slots = 0;
            foreach (var shard in _shards) slots += shard.Length;
            return slots * sizeof(Slot);
        }
    }

    public bool Contains(UInt128 key)
    {
        var slot = Slot.Of(key);
        if (slot.IsEmpty) return _hasZero;
        ref readonly var shard = ref _shards[ShardOf(key)];
        return shard.Slots is not null && shard.Slots[Probe(shard.Slots, shard.Length, slot)].Equals(slot);
    }

    /// <summary>Adds <paramref name="key"/>; false when it was there already.</summary>
    public bool Add(UInt128 key)
    {
        var slot = Slot.Of(key);
        if (slot.IsEmpty)
        {
            if (_hasZero) return false;
            _hasZero = true;
            Count++;
            return true;
        }

        int index = ShardOf(key);
        ref var shard = ref _shards[index];
        if (shard.Slots is null) Resize(ref shard, index, FirstShardSlots);
        else if (shard.Count >= shard.GrowAt) Resize(ref shard, index, shard.Length + (shard.Length / 2));
        if (!Insert(shard.Slots, shard.Length, slot)) return false;
        shard.Count++;
        Count++;
        return true;
    }

    /// <summary>Frees the slots; the set is empty afterwards.</summary>
    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    ~HashKeySet() => Free();

    private void Free()
    {
        for (int i = 0; i < _shards.Length; i++)
        {
            PageMemory.Free(_shards[i].Slots, Bytes(_shards[i].Length));
            _shards[i] = default;
        }

        _hasZero = false;
        Count = 0;
    }

    private static int ShardOf(UInt128 key) => (int)(key >> (128 - ShardBits));

    // The key's low 32 bits scaled onto the shard's length (any length, not only powers of two).
    private static int Home(Slot slot, int length) => (int)(((ulong)(uint)slot.Low * (ulong)length) >> 32);

    // The slot holding the (non-empty) key, else the empty slot its probe from home reached: a shard is never full.
    private static int Probe(Slot* slots, int length, Slot slot)
    {
        int i = Home(slot, length);
        while (!slots[i].Equals(slot) && !slots[i].IsEmpty) i = i + 1 == length ? 0 : i + 1;
        return i;
    }

    private static bool Insert(Slot* slots, int length, Slot slot)
    {
        int i = Probe(slots, length, slot);
        if (slots[i].Equals(slot)) return false;
        slots[i] = slot;
        return true;
    }

    private static void Resize(ref Shard shard, int index, int length)
    {
        var slots = (Slot*)PageMemory.AllocZeroed(Bytes(length));
        for (int i = 0; i < shard.Length; i++)
        {
            if (!shard.Slots[i].IsEmpty) Insert(slots, length, shard.Slots[i]);
        }

        PageMemory.Free(shard.Slots, Bytes(shard.Length));
        shard.Slots = slots;
        shard.Length = length;
        // Probes stay short below 0.8 full (a missing key, the common case, reads under a dozen slots, three cache lines).
        shard.GrowAt = (int)(length * (0.70 + (0.10 * index / ((1 << ShardBits) - 1))));
    }

    private static nuint Bytes(int slots) => (nuint)slots * (nuint)sizeof(Slot);

    // The key's low 96 bits, 4-byte aligned so an array of them packs at 12 bytes a slot.
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private readonly struct Slot(ulong low, uint high)
    {
        public readonly ulong Low = low;
        public readonly uint High = high;

        public bool IsEmpty => (Low | High) == 0;

        public static Slot Of(UInt128 key) => new((ulong)key, (uint)(key >> 64));

        public bool Equals(Slot other) => Low == other.Low && High == other.High;
    }

    private struct Shard
    {
        public Slot* Slots;
        public int Length;
        public int Count;
        public int GrowAt;
    }
}
