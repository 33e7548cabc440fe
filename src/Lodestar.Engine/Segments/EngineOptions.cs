using System.ComponentModel.DataAnnotations;

namespace Lodestar.Engine.Segments;

/// <summary>The per-user engine: the embedded Orleans silo and real-time segments (section <c>Lodestar:Engine</c>).</summary>
public sealed class EngineOptions
{
    public const string Section = "Lodestar:Engine";

    /// <summary>Loopback port of silo-to-silo traffic. Default 0: a free port picked at start (hosts in one process never collide).</summary>
    [Range(0, 65535)]
    public int SiloPort { get; set; }

    /// <summary>Port of the Orleans client gateway. Default 0: none (the server calls its grains in process).</summary>
    [Range(0, 65535)]
    public int GatewayPort { get; set; }

    /// <summary>How often due re-evaluation timers are swept and segment definition changes looked for.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Most stored events routed to person grains in one step (one membership commit per step).</summary>
    [Range(1, 1_000_000)]
    public int MaxEventsPerStep { get; set; } = 20_000;

    /// <summary>Most person grains asked in parallel while (re-)evaluating a whole app after a definition change.</summary>
    [Range(1, 100_000)]
    public int MaxParallelPersons { get; set; } = 512;
}
