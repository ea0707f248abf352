using System.Globalization;

namespace Sluice;

/// <summary>Settings of one run. Every property has a sensible default.</summary>
public sealed class PipelineOptions
{
    /// <summary>Workers per CPU segment. Default: one per core.</summary>
    public int Workers { get; set; } = Environment.ProcessorCount;

    /// <summary>The budget in bytes for payload buffers (<see cref="Blob"/> and other pooled payloads). Null: unbounded.</summary>
    public long? MemoryLimit { get; set; }

    /// <summary>Stop the run once more rows than this have failed. Null: no limit.</summary>
    public long? MaxFailedRows { get; set; }

    /// <summary>
    /// Fail the run when more than this share of the rows read failed (0.05: 5%; <c>--max-failed-rows 5%</c>).
    /// Checked as rows fail once <see cref="FailedFractionMinRows"/> rows have been read (the run stops then), and
    /// over all rows at the end. Null: no limit.
    /// </summary>
    public double? MaxFailedFraction { get; set; }

    /// <summary>The rows read before <see cref="MaxFailedFraction"/> is checked during a run (at the end it always is).</summary>
    public const int FailedFractionMinRows = 100;

    /// <summary>A JSON Lines file that receives dead-lettered rows. Null: they are counted and sampled, not written.</summary>
    public string? DeadLetterPath { get; set; }

    /// <summary>Keep output rows in input order (costs some parallel slack). Default: unordered.</summary>
    public bool Ordered { get; set; }

    /// <summary>Most rows a morsel holds. Heavy rows travel in smaller morsels (see <see cref="MorselBytes"/>).</summary>
    public int MorselSize { get; set; } = 1024;

    /// <summary>The payload bytes a source morsel aims at; rows per morsel adapt to the measured bytes per row.</summary>
    public long MorselBytes { get; set; } = 8L << 20;

    /// <summary>Morsels each channel between segments may hold.</summary>
    public int ChannelCapacity { get; set; } = 0;

    /// <summary>
    /// The shortest wait of a batch stage for more rows before it runs a partial batch (only when a batch worker
    /// is free). The wait follows the rows' rhythm: twice the usual gap between arriving morsels, from this up to
    /// 25 times this; the first batch of a run waits 25 times this, so that a model's first (slowest) run is a full batch.
    /// </summary>
    public TimeSpan BatchFlushDelay { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Pipeline-specific settings (<c>--set key=value</c>), read by resources through <see cref="Get(string, string)"/>.</summary>
    public Dictionary<string, string> Settings { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A setting's value, or <paramref name="defaultValue"/> when it is not set.</summary>
    public string Get(string key, string defaultValue) => Settings.TryGetValue(key, out var v) ? v : defaultValue;

    /// <summary>A setting parsed as <typeparamref name="T"/>, or <paramref name="defaultValue"/> when it is not set.</summary>
    public T Get<T>(string key, T defaultValue) where T : IParsable<T> =>
        Settings.TryGetValue(key, out var v) ? T.Parse(v, CultureInfo.InvariantCulture) : defaultValue;

    internal int EffectiveChannelCapacity => ChannelCapacity > 0 ? ChannelCapacity : Math.Max(4, 2 * Workers);

    internal PipelineOptions Validate()
    {
        if (Workers < 1) throw new ArgumentException($"Workers must be at least 1 (was {Workers}).");
        if (MemoryLimit is <= 0) throw new ArgumentException($"MemoryLimit must be positive (was {MemoryLimit}).");
        if (MaxFailedRows is < 0) throw new ArgumentException($"MaxFailedRows must not be negative (was {MaxFailedRows}).");
        if (MaxFailedFraction is { } f && !(f >= 0 && f <= 1))
            throw new ArgumentException($"MaxFailedFraction must be between 0 and 1 (was {f}).");
        if (MorselSize < 1) throw new ArgumentException($"MorselSize must be at least 1 (was {MorselSize}).");
        return this;
    }
}

/// <summary>What a resource factory and a stage can learn about the run and the worker it runs on.</summary>
public sealed class PipelineContext
{
    internal PipelineContext(PipelineOptions options, Device device, int worker, MemoryBudget budget, CancellationToken cancellationToken)
    {
        Options = options;
        Device = device;
        Worker = worker;
        Budget = budget;
        CancellationToken = cancellationToken;
    }

    /// <summary>The run's options (settings included).</summary>
    public PipelineOptions Options { get; }
    /// <summary>The device the segment's stages run on.</summary>
    public Device Device { get; }
    /// <summary>The worker's index within its segment.</summary>
    public int Worker { get; }
    /// <summary>The run's payload memory budget.</summary>
    public MemoryBudget Budget { get; }
    /// <summary>Cancelled when the run stops.</summary>
    public CancellationToken CancellationToken { get; }
}
