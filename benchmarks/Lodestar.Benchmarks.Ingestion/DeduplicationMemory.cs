using System.Diagnostics;
using System.Globalization;
using Lodestar.Engine.Ingestion;

namespace Lodestar.Benchmarks.Ingestion;

/// <summary>
/// The de-duplication window alone: the memory (managed and native) and time of remembering <c>n</c> ids, for the window as built and for
/// the structure it replaced (one <see cref="HashSet{T}"/> of 128-bit hashes per generation; a run shorter than a
/// generation fills one), measured in the same run. Ids are shaped as the load generator's (<c>client-sequence</c>),
/// each checked then added as the ingestion writer does.
/// </summary>
public static class DeduplicationMemory
{
    public static IEnumerable<string> Rows(int n)
    {
        yield return Measure("HashSet<UInt128> (before)", n, new HashSetWindow());
        yield return Measure("DeduplicationWindow (HashKeySet)", n, new WindowOf(new DeduplicationWindow(TimeSpan.FromDays(7))));
    }

    private static string Measure(string label, int n, IWindow window)
    {
        var now = DateTimeOffset.UtcNow;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        long before = GC.GetTotalMemory(forceFullCollection: true);
        long peak = 0;
        var stopwatch = Stopwatch.StartNew();
        for (int i = 0; i < n; i++)
        {
            var key = DeduplicationWindow.Key("app-1", string.Create(CultureInfo.InvariantCulture, $"c{i % 16}-{i}"));
            if (!window.Contains(key)) window.Add(key, now);
            // Sampled without a collection: a growing array's old copy counts until the next collection frees it.
            if ((i & 0xFFFF) == 0) peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: false) - before + window.NativeBytes);
        }

        stopwatch.Stop();
        peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: false) - before + window.NativeBytes);
        long retained = GC.GetTotalMemory(forceFullCollection: true) - before + window.NativeBytes;
        GC.KeepAlive(window);
        return string.Create(CultureInfo.InvariantCulture,
            $"| {label} | {n:N0} | {retained / 1048576.0:N0} | {(double)retained / n:F1} | {peak / 1048576.0:N0} | {stopwatch.Elapsed.TotalNanoseconds / n:F0} |");
    }

    private interface IWindow
    {
        bool Contains(UInt128 key);

        void Add(UInt128 key, DateTimeOffset at);

        /// <summary>Memory held outside the managed heap.</summary>
        long NativeBytes { get; }
    }

    private sealed class HashSetWindow : IWindow
    {
        private readonly HashSet<UInt128> _keys = [];

        public bool Contains(UInt128 key) => _keys.Contains(key);

        public void Add(UInt128 key, DateTimeOffset at) => _keys.Add(key);

        public long NativeBytes => 0;
    }

    private sealed class WindowOf(DeduplicationWindow window) : IWindow
    {
        public bool Contains(UInt128 key) => window.Contains(key);

        public void Add(UInt128 key, DateTimeOffset at) => window.Add(key, at);

        public long NativeBytes => window.SlotBytes;
    }
}
