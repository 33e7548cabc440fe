namespace Lodestar.Core.Segments;

/// <summary>
/// One person's kept events as a <see cref="LiveSegmentPlan"/> reads them: one list per event name the plan's criteria
/// name, and one per filtered match (<c>{"event", "filters"}</c>) holding only the events passing its filters, each
/// in time order (ties by sequence). Each behavioral condition reads its own list by binary search instead of filtering
/// the person's events again on every evaluation. Not thread-safe (one grain owns it).
/// </summary>
public sealed class PersonEventIndex
{
    // Shared by every empty slot; never written (Insert makes a list of the slot's own first).
    private static readonly List<IndexedEvent> NoEvents = [];

    private readonly List<IndexedEvent>?[] _slots;

    public PersonEventIndex(LiveSegmentPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        Plan = plan;
        _slots = new List<IndexedEvent>?[plan.SlotCount];
    }

    /// <summary>The plan whose slots this index fills.</summary>
    public LiveSegmentPlan Plan { get; }

    /// <summary>How many events are kept (of every name the plan reads).</summary>
    public int Count
    {
        get
        {
            int count = 0;
            for (int slot = 0; slot < Plan.NameSlotCount; slot++) count += _slots[slot]?.Count ?? 0;
            return count;
        }
    }

    /// <summary>Keeps the event when the plan reads its name (in each list it matches); false when it is not kept.</summary>
    public bool Add(long sequence, PersonEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (!Plan.TryGetSlots(e.Name, out int nameSlot, out var filtered)) return false;
        var kept = new IndexedEvent(sequence, e);
        Insert(nameSlot, kept);
        for (int i = 0; i < filtered.Length; i++)
        {
            if (Plan.SlotMatches(filtered[i], e)) Insert(filtered[i], kept);
        }

        return true;
    }

    /// <summary>Forgets the events before <paramref name="oldest"/> (outside every window of the plan).</summary>
    public void DropBefore(DateTimeOffset oldest)
    {
        foreach (var list in _slots)
        {
            if (list is null || list.Count == 0 || list[0].Event.Time >= oldest) continue;
            int drop = 1;
            while (drop < list.Count && list[drop].Event.Time < oldest) drop++;
            list.RemoveRange(0, drop);
        }
    }

    /// <summary>Every kept event, in time order (ties by sequence).</summary>
    public List<IndexedEvent> Events()
    {
        var all = new List<IndexedEvent>(Count);
        for (int slot = 0; slot < Plan.NameSlotCount; slot++)
        {
            if (_slots[slot] is { } list) all.AddRange(list);
        }

        all.Sort(Compare);
        return all;
    }

    /// <summary>The list of one slot (a shared empty one when nothing was kept in it; callers only read).</summary>
    internal List<IndexedEvent> Slot(int slot) => _slots[slot] ?? NoEvents;

    /// <summary>The kept events of the given name slots, merged in time order (ties by sequence).</summary>
    internal List<PersonEvent> Merged(int[] nameSlots)
    {
        var all = new List<IndexedEvent>();
        foreach (int slot in nameSlots)
        {
            if (_slots[slot] is { } list) all.AddRange(list);
        }

        all.Sort(Compare);
        return all.ConvertAll(e => e.Event);
    }

    private static int Compare(IndexedEvent a, IndexedEvent b) =>
        a.Event.Time != b.Event.Time ? a.Event.Time.CompareTo(b.Event.Time) : a.Sequence.CompareTo(b.Sequence);

    /// <summary>Most events arrive in time order, so this is an append.</summary>
    private void Insert(int slot, IndexedEvent kept)
    {
        var list = _slots[slot] ??= [];
        int at = list.Count;
        while (at > 0 && Compare(list[at - 1], kept) > 0) at--;
        list.Insert(at, kept);
    }
}
