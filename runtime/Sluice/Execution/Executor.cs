using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Sluice;

/// <summary>
/// Runs one pipeline once: a source task, the workers of every segment and a sink task, linked by
/// bounded morsel channels. The first error cancels everything; the result says what was written.
/// </summary>
internal sealed class Executor<TIn, TOut> : IPlanInfo
{
    private readonly PipelinePlan<TIn, TOut> _plan;
    private readonly PipelineOptions _options;
    private readonly MorselPool[] _pools;
    private readonly MorselChannel[] _channels;
    private readonly int _capacity;
    private readonly RunState _run;
    private readonly CancellationTokenSource _stop;
    private readonly bool _inlineSource;
    private readonly bool _inlineSink;
    private readonly object _sourceLock = new();
    private readonly object _sinkLock = new();
    private readonly int[] _batchIdle;          // per segment: batch workers waiting for a batch
    private readonly TensorSlots?[] _slots;     // per segment: a CPU segment's tensor slots, or the batch segment's it feeds from
    private readonly int[] _payloadStages;      // the stages that make payload columns
    private ISourceReader<TIn>? _reader;
    private ISinkWriter<TOut>? _writer;
    private TOut[]? _sinkBuffer;
    private long _sequence;
    private bool _sourceDone;

    internal static int MorselCapacity(PipelinePlan<TIn, TOut> plan, PipelineOptions options) =>
        Math.Max(options.MorselSize, plan.Stages.Select(s => s.BatchSize).DefaultIfEmpty(0).Max());

    internal static MorselPool[] CreatePools(PipelinePlan<TIn, TOut> plan, PipelineOptions options)
    {
        int capacity = MorselCapacity(plan, options);
        return plan.Boundaries.Select(f => new MorselPool(f, capacity)).ToArray();
    }

    public Executor(PipelinePlan<TIn, TOut> plan, PipelineOptions options, MorselPool[] pools, CancellationToken cancellationToken)
    {
        _plan = plan;
        _options = options;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _capacity = MorselCapacity(plan, options);
        _pools = pools;
        // A first CPU segment reads the source itself and a last one writes the sink itself (unless the
        // output is ordered): with one worker a whole fused pipeline then runs on one thread, no hops.
        _inlineSource = plan.Segments.Length > 0 && plan.Segments[0] is CpuSegment;
        _inlineSink = plan.Segments.Length > 0 && plan.Segments[^1] is CpuSegment && !options.Ordered;
        _batchIdle = new int[plan.Segments.Length];
        _slots = CreateTensorSlots(plan, options);
        _payloadStages = Enumerable.Range(0, plan.Stages.Length).Where(i => plan.Stages[i].MakesPayload).ToArray();
        _channels = new MorselChannel[plan.Boundaries.Length];
        for (int i = 0; i < _channels.Length; i++)
            _channels[i] = MorselChannel.Create(options.Ordered, options.EffectiveChannelCapacity, 0);

        var stageSegment = new int[plan.Stages.Length];
        for (int s = 0; s < plan.Segments.Length; s++)
            foreach (var st in plan.Segments[s].Stages) stageSegment[st] = s;
        var stages = plan.Stages.Select((s, i) => new StageMetrics(s, stageSegment[i])).ToArray();
        var budget = new MemoryBudget(options.MemoryLimit);
        budget.AdoptWarm();
        var payloadSegments = Enumerable.Range(0, plan.Segments.Length)
            .Where(i => plan.Segments[i].Stages.Any(st => plan.Stages[st].MakesPayload)).ToList();
        for (int k = 0; k < payloadSegments.Count; k++)
            budget.SetShare(Tier(payloadSegments[k]), (k + 1.0) / payloadSegments.Count);
        var codec = plan.InputCodec ?? RowCodec<TIn>.Default;
        _run = new RunState(this, options, budget, stages, new DeadLetterWriter(options.DeadLetterPath),
                            (w, origin) => WriteOrigin(codec, w, origin), _stop);
        _run.Metrics = new RunMetrics(stages, budget, Probe);
    }

    public string Name => _plan.Name;
    public StageInfo[] Stages => _plan.Stages;
    public Segment[] Segments => _plan.Segments;
    public RunMetrics Metrics => _run.Metrics;

    /// <summary>Keeps every failed row for the result (<see cref="RunResult.Failures"/>), not only the first 20.</summary>
    public void CollectFailures() => _run.AllFailures = new List<RowFailure>();
    public void Cancel() => _stop.Cancel();

    private readonly TaskCompletionSource _abandoned = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _sinkClosed; // under _sinkLock: the output is closed, later morsels are dropped

    /// <summary>Cancels the run and stops waiting for its tasks: the rows in flight are dropped, the output closes at a whole row.</summary>
    public void Abandon()
    {
        _stop.Cancel();
        _abandoned.TrySetResult();
    }

    /// <summary>Waits for <paramref name="tasks"/>, or until the run is abandoned (then throws as a cancellation).</summary>
    private async Task WhenAllOrAbandoned(List<Task> tasks)
    {
        var all = Task.WhenAll(tasks);
        if (await Task.WhenAny(all, _abandoned.Task).ConfigureAwait(false) != all)
            throw new OperationCanceledException("The run was stopped without waiting for the rows in flight.");
        await all.ConfigureAwait(false);
    }

    public async Task<RunResult> RunAsync(ISource<TIn> source, ISink<TOut> sink)
    {
        EnsurePoolThreads();
        var ct = _stop.Token;
        var tasks = new List<Task>();
        Exception? error = null;
        ISinkWriter<TOut>? writer = null;
        bool completed = false;
        string? partialOutput = null;
        try
        {
            writer = sink.Open(new SinkContext<TOut>(_plan.OutputCodec ?? RowCodec<TOut>.Default, _run.SinkRowFailed));
            _writer = writer;
            _reader = source.Open(new SourceContext<TIn>(_plan.InputCodec ?? RowCodec<TIn>.Default, _run.SourceRowFailed));
            if (_reader is IInputProgress progress && progress.TotalBytes > 0) _run.Metrics.Input = progress;
            if (!_inlineSource)
            {
                _channels[0].AddProducer();
                tasks.Add(Guard(Task.Run(() => SourceAsync(ct), CancellationToken.None)));
            }
            for (int s = 0; s < _plan.Segments.Length; s++)
                tasks.AddRange(StartSegment(s, ct).Select(Guard));
            if (!_inlineSink) tasks.Add(Guard(Task.Run(() => SinkAsync(ct), CancellationToken.None)));
            await WhenAllOrAbandoned(tasks).ConfigureAwait(false);
            // Every row got through, but too many of them failed (or all did, and nothing was written): a failed
            // run, decided before the output is committed, so it does not replace the old one.
            if (_run.FinalVerdict() is { } verdict) throw verdict;
            await writer.CompleteAsync(ct).ConfigureAwait(false);
            completed = true;
        }
        catch (Exception e)
        {
            error = _abandoned.Task.IsCompleted ? e : FirstError(tasks) ?? e;
            _stop.Cancel();
            try { await WhenAllOrAbandoned(tasks).ConfigureAwait(false); } catch { /* errors already recorded */ }
        }
        finally
        {
            // From here no morsel reaches the output: abandoned workers may still be running, and the writer closes
            // at the last whole row written.
            lock (_sinkLock) _sinkClosed = true;
            if (_reader is not null)
            {
                try { await _reader.DisposeAsync().ConfigureAwait(false); }
                catch (Exception e) { error ??= e; completed = false; }
            }
            if (writer is not null)
            {
                try { await writer.DisposeAsync().ConfigureAwait(false); }
                catch (Exception e) { error ??= e; completed = false; }
                // A file knows how many rows it holds; the count goes by it, so the report and the file agree
                // even when a stop cut a write short.
                if (writer is IFileOutputWriter file)
                {
                    Volatile.Write(ref _run.Metrics.RowsWrittenValue, file.RowsInFile);
                    partialOutput = file.PartialPath;
                }
            }
            try { _run.DeadLetter.Close(completed); }
            catch (Exception e) { error ??= e; completed = false; }
            _run.Metrics.Stop();
            _run.Budget.Close();
        }

        var status = completed ? RunStatus.Completed
            : error is OperationCanceledException ? RunStatus.Cancelled
            : RunStatus.Failed;
        return new RunResult(status, _run.Metrics, status == RunStatus.Failed ? error : null, _run.Samples,
                             _run.DeadLetter.Path, _run.DeadLetter.Written, _run.AllFailures)
        {
            PartialOutputPath = partialOutput,
            PartialDeadLetterPath = _run.DeadLetter.PartialPath,
        };

        // The first real error wins; cancellations caused by it are not reported over it.
        Task Guard(Task t) => t.ContinueWith(x =>
        {
            if (x.IsFaulted) { _stop.Cancel(); ExceptionDispatchInfoThrow(x.Exception!.InnerException!); }
            if (x.IsCanceled) throw new OperationCanceledException(ct);
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private static void ExceptionDispatchInfoThrow(Exception e) => System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e);

    private static Exception? FirstError(List<Task> tasks)
    {
        Exception? cancelled = null;
        foreach (var t in tasks)
        {
            if (!t.IsFaulted) continue;
            var e = t.Exception!.InnerException!;
            if (e is OperationCanceledException) cancelled ??= e;
            else return e;
        }
        return cancelled;
    }

    private (int[] depths, long[] bytes) Probe()
    {
        var depths = new int[_plan.Segments.Length + 1];
        var bytes = new long[_plan.Segments.Length + 1];
        for (int i = 0; i < _plan.Segments.Length; i++)
        {
            depths[i] = _channels[i].Count;
            bytes[i] = _run.Budget.InFlightFor(i + 1);
        }
        return (depths, bytes);
    }

    /// <summary>
    /// Dedicated workers block on channels whose wake-ups run on the thread pool, and the source, sink,
    /// batch feeders and async segments are pool tasks. With the pool's default minimum (one thread per
    /// core) a single pool thread blocked elsewhere in the process (measured: a test host's) left a batch
    /// feeder's timer continuation waiting up to a second for the pool to inject a thread. So a run raises
    /// the minimum, never lowers it, to the cores plus its own pool loops plus a spare.
    /// </summary>
    private void EnsurePoolThreads()
    {
        int loops = 2 + _plan.Segments.Count(seg => seg is not CpuSegment) * 2;
        int wanted = Environment.ProcessorCount + loops + 2;
        ThreadPool.GetMinThreads(out int workers, out int io);
        if (workers < wanted) ThreadPool.SetMinThreads(wanted, io);
    }

    // Budget tiers: 0 is the source, segment s allocates as tier s + 1.
    private static int Tier(int segment) => segment + 1;

    private async Task SourceAsync(CancellationToken ct)
    {
        MemoryBudget.Enter(_run.Budget, 0);
        var output = _channels[0];
        try
        {
            var buffer = new TIn[_capacity];
            while (await ReadMorselAsync(buffer, ct).ConfigureAwait(false) is { } m)
                await output.WriteAsync(m, ct).ConfigureAwait(false);
        }
        finally
        {
            output.ProducerDone();
        }
    }

    /// <summary>
    /// Reads the next source chunk into a first-boundary morsel; null at the end. Safe to call from
    /// several workers at once (the read is serialised, the loading is not); <paramref name="buffer"/>
    /// is the caller's own.
    /// </summary>
    private Morsel? ReadMorsel(TIn[] buffer, CancellationToken ct)
    {
        (int Count, ReadOnlyMemory<TIn> Chunk) next;
        long sequence;
        lock (_sourceLock)
        {
            var read = NextRowsAsync(buffer, ct);
            next = read.IsCompletedSuccessfully ? read.Result : read.AsTask().GetAwaiter().GetResult();
            if (next.Count == 0) return null;
            sequence = Claim(next.Count);
        }
        return LoadMorsel(next, buffer, sequence);
    }

    /// <summary>
    /// <see cref="ReadMorsel"/> for the source task, the only reader when no worker reads inline: it
    /// awaits the source instead of blocking a thread-pool thread on it. (Blocking there starved the
    /// pool on 2 cores: a trickling source held one of its two threads, and the batch feeder's timer
    /// continuations waited up to a second for a thread to be injected.)
    /// </summary>
    private async ValueTask<Morsel?> ReadMorselAsync(TIn[] buffer, CancellationToken ct)
    {
        var next = await NextRowsAsync(buffer, ct).ConfigureAwait(false);
        return next.Count == 0 ? null : LoadMorsel(next, buffer, Claim(next.Count));
    }

    /// <summary>The next rows: a chunk of the source's own memory, or <c>Count</c> rows read into <paramref name="buffer"/>; a count of 0 at the end.</summary>
    private ValueTask<(int Count, ReadOnlyMemory<TIn> Chunk)> NextRowsAsync(TIn[] buffer, CancellationToken ct)
    {
        if (_sourceDone) return new((0, default));
        ct.ThrowIfCancellationRequested();
        int want = MorselRows();
        if (_reader is IChunkedSourceReader<TIn> chunked)
            return new(chunked.TryReadChunk(want, out var chunk) ? (chunk.Length, chunk) : End());
        var read = _reader!.ReadAsync(buffer.AsMemory(0, want), ct);
        return read.IsCompletedSuccessfully ? new(Counted(read.Result)) : Awaited(read);

        async ValueTask<(int, ReadOnlyMemory<TIn>)> Awaited(ValueTask<int> pending) => Counted(await pending.ConfigureAwait(false));
        (int, ReadOnlyMemory<TIn>) Counted(int n) => n == 0 ? End() : (n, default);
        (int, ReadOnlyMemory<TIn>) End()
        {
            _sourceDone = true;
            return (0, default);
        }
    }

    /// <summary>Numbers the next morsel and counts its rows as read.</summary>
    private long Claim(int rows)
    {
        Interlocked.Add(ref _run.Metrics.RowsReadValue, rows);
        return _sequence++;
    }

    private Morsel LoadMorsel((int Count, ReadOnlyMemory<TIn> Chunk) next, TIn[] buffer, long sequence)
    {
        var rows = next.Chunk.IsEmpty ? buffer.AsSpan(0, next.Count) : next.Chunk.Span;
        var m = _pools[0].Rent();
        if (next.Chunk.IsEmpty || !_plan.Loader.TryAttach(next.Chunk, m)) _plan.Loader.Load(rows, m);
        m.Count = rows.Length;
        m.Sequence = sequence;
        if (RuntimeHelpers.IsReferenceOrContainsReferences<TIn>() && rows.Overlaps(buffer)) Array.Clear(buffer, 0, rows.Length);
        return m;
    }

    // Heavy rows travel in small morsels: aim at MorselBytes of payload per morsel. Until payload sizes
    // are known the morsels start small and grow (16, 32, then 64 rows up to row 4096), so a short run
    // of heavy rows (400 images) is not left with one worker finishing a long tail alone. The size per
    // row is the bytes taken so far over the rows the payload-making stages have finished (not the rows
    // read, which early on run far ahead of them and made the estimate, and the morsels, too big).
    private int MorselRows()
    {
        long rows = _run.Metrics.RowsRead;
        long bytes = _run.Budget.TotalAcquired;
        long done = 0;
        if (bytes > 0)
            foreach (int i in _payloadStages) done = Math.Max(done, _run.Stages[i].RowsIn);
        if (bytes == 0 || done == 0)
        {
            if (bytes == 0 && rows >= 4096) return _capacity;    // no payloads: full morsels
            return Math.Min(_capacity, rows < 16 ? 16 : rows < 48 ? 32 : 64);
        }
        double perRow = (double)bytes / done;
        long target = Math.Min(_options.MorselBytes, _run.Budget.Limit / (4L * (_options.Workers + 2)));
        return (int)Math.Clamp(target / perRow, 1, _capacity);
    }

    private async Task SinkAsync(CancellationToken ct)
    {
        var input = _channels[^1];
        while (await input.ReadAsync(ct).ConfigureAwait(false) is { } m)
            WriteMorsel(m, ct);
    }

    /// <summary>Builds a morsel's output rows and writes them to the sink; safe to call from several workers.</summary>
    private void WriteMorsel(Morsel m, CancellationToken ct)
    {
        int n = m.Count;
        if (n == 0) { m.Release(); return; }
        lock (_sinkLock)
        {
            if (_sinkClosed) { m.Release(); return; }
            if (_writer is IDirectSinkWriter<TOut> direct)
            {
                _plan.Unloader.Unload(m, direct.GetSpan(n));
                direct.Advance(n);
            }
            else
            {
                var buffer = _sinkBuffer ??= new TOut[_capacity];
                _plan.Unloader.Unload(m, buffer.AsSpan(0, n));
                var write = _writer!.WriteAsync(buffer.AsMemory(0, n), ct);
                if (!write.IsCompletedSuccessfully) write.AsTask().GetAwaiter().GetResult();
                if (RuntimeHelpers.IsReferenceOrContainsReferences<TOut>()) Array.Clear(buffer, 0, n);
            }
            Interlocked.Add(ref _run.Metrics.RowsWrittenValue, n);
        }
        m.Release();
    }

    private IEnumerable<Task> StartSegment(int s, CancellationToken ct)
    {
        var segment = _plan.Segments[s];
        var first = _plan.Stages[segment.Stages[0]];
        switch (segment)
        {
            case CpuSegment cpu:
                for (int w = 0; w < _options.Workers; w++)
                {
                    _channels[s + 1].AddProducer();
                    int worker = w;
                    yield return WorkerThreads.Run(() => CpuWorker(cpu, s, worker, ct));
                }
                break;
            case BatchSegment batch:
                int workers = first.Device == Device.Gpu ? 1 : _options.Workers;
                var formed = MorselChannel.Create(false, Math.Max(2, workers * 2), 1);
                for (int w = 0; w < workers; w++) _channels[s + 1].AddProducer();
                yield return Task.Run(() => BatchFeeder(batch, s, formed, ct), CancellationToken.None);
                for (int w = 0; w < workers; w++)
                {
                    int worker = w;
                    yield return WorkerThreads.Run(() => BatchWorker(batch, s, worker, formed, ct));
                }
                break;
            default:
                // AsyncSegment<TValue>: dispatch to a generic method through the segment's own virtual.
                _channels[s + 1].AddProducer();
                yield return Task.Run(() => AsyncRunner.Run(segment, this, s, ct), CancellationToken.None);
                break;
        }
    }

    private readonly object _nativeLock = new();

    private SegmentWorker NewWorker(Segment segment, int s, int worker, CancellationToken ct)
    {
        var device = _plan.Stages[segment.Stages[0]].Device;
        var context = new PipelineContext(_options, device, worker, _run.Budget, ct);
        // Native threads the resources start (ONNX Runtime's intra-op pool) count for the segment's stages.
        var before = CpuClock.Threads();
        var resources = segment.CreateResources(context);
        var w = new SegmentWorker(_run, segment.Stages, resources, context);
        if (before.Count > 0 && CpuClock.NativeThreadsStarted(before, CpuClock.Threads()) is { Count: > 0 } started)
        {
            lock (_nativeLock)
            {
                var first = _run.Stages[segment.Stages[0]];
                var native = first.Native ?? new NativeThreadCpu();
                foreach (int st in segment.Stages) _run.Stages[st].Native = native;
                native.Add(started);
                w.Native = native;
            }
        }
        return w;
    }

    private static async ValueTask DisposeResources(SegmentWorker w)
    {
        w.Native?.Nanoseconds(); // the last readings before the resources end their threads
        switch (w.Resources)
        {
            case IAsyncDisposable a: await a.DisposeAsync().ConfigureAwait(false); break;
            case IDisposable d: d.Dispose(); break;
        }
    }

    private void CpuWorker(CpuSegment segment, int s, int worker, CancellationToken ct)
    {
        var input = _channels[s];
        var output = _channels[s + 1];
        SegmentWorker? w = null;
        MorselWriter? writer = null;
        try
        {
            bool last = s == _plan.Segments.Length - 1;
            Action<Morsel> send = last && _inlineSink ? m => WriteMorsel(m, ct) : m => output.Write(m, ct);
            writer = new MorselWriter(_pools[s + 1], send);
            // Only segments that make payloads can block on the budget; they flush finished rows first.
            bool payloads = segment.Stages.Any(st => _plan.Stages[st].MakesPayload);
            MemoryBudget.Enter(_run.Budget, Tier(s), payloads ? writer.FlushPending : null);
            w = NewWorker(segment, s, worker, ct);
            long morsels = 0;
            var buffer = s == 0 && _inlineSource ? new TIn[_capacity] : null;
            // Rows bound for a batch stage get their tensors in the batch stage's batch buffers (TensorSlots).
            TensorSlots.Current = _slots[s];
            while ((buffer is not null ? ReadMorsel(buffer, ct) : input.Read(ct)) is { } m)
            {
                ct.ThrowIfCancellationRequested();
                w.ResetCounters();
                writer.Begin(m.Sequence);
                long t0 = Stopwatch.GetTimestamp(), c0 = CpuClock.Thread();
                // Per-stage timing on the first morsel and one in 1024 after: enough to split the segment's
                // exact busy time between its stages, at a cost the loop does not feel.
                if ((morsels++ & 1023) == 0) segment.Run<Profiling.On>(m, writer, w);
                else segment.Run<Profiling.Off>(m, writer, w);
                long busy = Stopwatch.GetTimestamp() - t0, cpu = CpuClock.Thread() - c0;
                writer.End();
                Account(segment, w, m.Count, busy, cpu);
                m.Release();
            }
        }
        finally
        {
            TensorSlots.Current = null;
            writer?.Current.Release();
            if (w is not null) DisposeResources(w).AsTask().GetAwaiter().GetResult();
            output.ProducerDone();
        }
    }

    /// <summary>
    /// Tensor slots (docs/design-notes.md, "Batch slots"): a CPU segment that makes payloads and is followed by
    /// a batch stage whose first input is a <see cref="Tensor"/> column lays its tensors out in that stage's
    /// batch buffers; the same <see cref="TensorSlots"/> sits at both segments' index. Not for ordered output
    /// (rows take slots in the order workers reach them) nor for batches of one. <c>SLUICE_BATCH_SLOTS=0</c>
    /// turns them off (each tensor a buffer of its own, as before them: for measuring what they change).
    /// </summary>
    private static TensorSlots?[] CreateTensorSlots(PipelinePlan<TIn, TOut> plan, PipelineOptions options)
    {
        var slots = new TensorSlots?[plan.Segments.Length];
        if (options.Ordered || Environment.GetEnvironmentVariable("SLUICE_BATCH_SLOTS") == "0") return slots;
        for (int s = 0; s < plan.Segments.Length; s++)
        {
            if (plan.Segments[s] is not CpuSegment cpu || !cpu.Stages.Any(st => plan.Stages[st].MakesPayload)) continue;
            int t = Array.FindIndex(plan.Segments, s + 1, x => x is BatchSegment);
            if (t < 0 || slots[t] is not null || !((BatchSegment)plan.Segments[t]).TakesTensors) continue;
            int size = plan.Stages[plan.Segments[t].Stages[0]].BatchSize;
            if (size < 2) continue;
            slots[s] = slots[t] = new TensorSlots(size);
        }
        return slots;
    }

    // Rows in/out per fused stage are derived: only filters and explodes report counts, failures report drops.
    private void Account(Segment segment, SegmentWorker w, long rows, long busyTicks, long cpuNanos)
    {
        var stages = segment.Stages;
        long profiled = 0;
        for (int p = 0; p < stages.Length; p++) profiled += w.StageTicks[p];
        for (int p = 0; p < stages.Length; p++)
        {
            var m = _run.Stages[stages[p]];
            Interlocked.Add(ref m.RowsInValue, rows);
            var kind = _plan.Stages[stages[p]].Kind;
            rows = kind is StageKind.Filter or StageKind.Explode ? w.RowsOut[p] : rows - w.Dropped[p];
            Interlocked.Add(ref m.RowsOutValue, rows);
            // Busy time of fused stages: the segment's exact time, split by the sampled per-stage shares.
            double share = profiled == 0 ? 1.0 / stages.Length : (double)w.StageTicks[p] / profiled;
            Interlocked.Add(ref m.BusyTicksValue, (long)(busyTicks * share));
            Interlocked.Add(ref m.CpuNanosValue, (long)(cpuNanos * share));
        }
    }

    private async Task BatchFeeder(BatchSegment segment, int s, MorselChannel formed, CancellationToken ct)
    {
        var input = _channels[s];
        int size = Math.Max(1, _plan.Stages[segment.Stages[0]].BatchSize);
        var pool = _pools[s];
        var slots = _slots[s];
        var slabs = new List<SlabBatch>(); // batches forming along batch buffers, oldest first
        Morsel? batch = null;              // the batch of rows whose tensors are no slots, in arrival order
        long sequence = 0;
        try
        {
            // The rhythm rows arrive in: a moving average of the gaps between morsels. A partial batch is
            // cut when no rows came for twice that (at least BatchFlushDelay, at most 25 times it), so a
            // stall is told from the ordinary pause between two morsels. With the flat 20 ms delay alone,
            // the first batch of a run was cut at 15 to 47 rows while the decoders ramped up (morsels came
            // 30-100 ms apart), and the model paid its first-run cost on a small batch and then again on
            // the first full one (measured: 0.4 s of a 17 s run). The wait for the first morsel is the first gap.
            long lastArrival = Stopwatch.GetTimestamp();
            double gapTicks = 0;
            long minDelayTicks = _options.BatchFlushDelay.Ticks, maxDelayTicks = minDelayTicks * 25;
            while (true)
            {
                var next = input.ReadAsync(ct);
                while (!next.IsCompleted && (batch is { Count: > 0 } || slabs.Count > 0))
                {
                    // Nothing queued: run the partial batch if no rows come within the flush delay and a
                    // batch worker is free to take it. While every worker is busy a partial batch would
                    // only wait in line, and the rows that arrive meanwhile would go into smaller
                    // batches (measured: a model on the CPU, slowing the decoders down, got batches cut
                    // short this way and ran 8% slower end to end).
                    var waiting = next.AsTask();
                    // The first batch waits the longest: a model's first run is its slowest (kernels chosen,
                    // memory planned for that shape), so it should be a full one, and the gaps while a run
                    // starts (code compiled, morsels ramping up) say little about the rhythm to come.
                    long delayTicks = sequence == 0 ? maxDelayTicks : Math.Clamp((long)(2 * gapTicks), minDelayTicks, maxDelayTicks);
                    if (await Task.WhenAny(waiting, Task.Delay(TimeSpan.FromTicks(delayTicks), ct)).ConfigureAwait(false) != waiting)
                    {
                        // Slab batches whose last slots became holes meanwhile are complete now.
                        await SendCompleteSlabs(force: false).ConfigureAwait(false);
                        if (Volatile.Read(ref _batchIdle[s]) > 0)
                        {
                            if (batch is { Count: > 0 })
                            {
                                await Send(batch).ConfigureAwait(false);
                                batch = null;
                            }
                            // The open batch buffer takes no more rows: its batch goes once its rows are in.
                            slots?.SealOpen();
                            await SendCompleteSlabs(force: false).ConfigureAwait(false);
                        }
                    }
                    next = new ValueTask<Morsel?>(waiting);
                }
                var m = await next.ConfigureAwait(false);
                if (m is null) break;
                long now = Stopwatch.GetTimestamp();
                double gap = Stopwatch.GetElapsedTime(lastArrival, now).Ticks;
                gapTicks = gapTicks == 0 ? gap : 0.8 * gapTicks + 0.2 * gap;
                lastArrival = now;
                bool slotted = false;
                for (int i = 0; i < m.Count; i++)
                {
                    // A row whose tensor is a slot goes to its slot's place in its batch buffer's batch.
                    if (slots is not null && segment.SlotTensor(m, i) is { Slab: { } slab } tensor && ReferenceEquals(slab.Owner, slots))
                    {
                        var sb = Forming(slab);
                        tensor.MarkArrived();
                        segment.Gather(m, i, sb.Batch, tensor.Slot);
                        sb.Present[tensor.Slot] = true;
                        sb.Arrived++;
                        slotted = true;
                        continue;
                    }
                    batch ??= pool.Rent();
                    segment.Gather(m, i, batch, batch.Count++);
                    if (batch.Count == size)
                    {
                        await Send(batch).ConfigureAwait(false);
                        batch = null;
                    }
                }
                m.Release();
                if (slotted) await SendCompleteSlabs(force: false).ConfigureAwait(false);
            }
            slots?.SealOpen();
            await SendCompleteSlabs(force: true).ConfigureAwait(false);
            if (batch is { Count: > 0 }) await Send(batch).ConfigureAwait(false);
            else batch?.Release();
        }
        finally
        {
            foreach (var sb in slabs) sb.Batch.Release();
            formed.ProducerDone();
        }

        SlabBatch Forming(TensorSlab slab)
        {
            for (int k = slabs.Count - 1; k >= 0; k--)
                if (ReferenceEquals(slabs[k].Slab, slab)) return slabs[k];
            var sb = new SlabBatch(slab, pool.Rent());
            int at = slabs.Count;
            while (at > 0 && slabs[at - 1].Slab.Sequence > slab.Sequence) at--;
            slabs.Insert(at, sb);
            return sb;
        }

        // A slab's batch is complete when the slab takes no more claims and every claimed slot either
        // arrived or became a hole. Without holes its rows sit at 0..n-1 in slot order: the batch input is
        // the slab's memory as it is. With holes the rows are moved together and the helper copies them.
        async ValueTask SendCompleteSlabs(bool force)
        {
            for (int k = 0; k < slabs.Count; k++)
            {
                var sb = slabs[k];
                int claimed = sb.Slab.Claimed;
                if (!force && !(sb.Slab.IsSealed && sb.Arrived + sb.Slab.Holes == claimed)) continue;
                slabs.RemoveAt(k--);
                var b = sb.Batch;
                if (sb.Arrived == claimed) b.Count = claimed;
                else
                {
                    int n = 0;
                    for (int j = 0; j < sb.Present.Length; j++)
                    {
                        if (!sb.Present[j]) continue;
                        if (j != n) segment.Gather(b, j, b, n);
                        n++;
                    }
                    b.Count = n;
                }
                if (b.Count == 0) b.Release();
                else await Send(b).ConfigureAwait(false);
            }
        }

        ValueTask Send(Morsel b)
        {
            b.Sequence = sequence++;
            b.Part = 0;
            b.LastPart = true;
            return formed.WriteAsync(b, ct);
        }
    }

    /// <summary>A batch forming along one batch buffer: row k of <see cref="Batch"/> is the row of slot k.</summary>
    private sealed class SlabBatch(TensorSlab slab, Morsel batch)
    {
        public TensorSlab Slab { get; } = slab;
        public Morsel Batch { get; } = batch;
        public bool[] Present { get; } = new bool[slab.Capacity];
        public int Arrived;
    }

    private void BatchWorker(BatchSegment segment, int s, int worker, MorselChannel formed, CancellationToken ct)
    {
        MemoryBudget.Enter(_run.Budget, Tier(s));
        var output = _channels[s + 1];
        var stats = _run.Stages[segment.Stages[0]];
        var policy = _plan.Stages[segment.Stages[0]].OnError;
        SegmentWorker? w = null;
        try
        {
            w = NewWorker(segment, s, worker, ct);
            while (true)
            {
                Morsel? batch;
                Interlocked.Increment(ref _batchIdle[s]);
                try { batch = formed.Read(ct); }
                finally { Interlocked.Decrement(ref _batchIdle[s]); }
                if (batch is null) break;
                var o = _pools[s + 1].Rent();
                long t0 = Stopwatch.GetTimestamp(), c0 = CpuClock.Thread();
                try
                {
                    segment.Invoke(batch, o, w);
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    // The whole batch failed: every row of it follows the stage's policy.
                    for (int i = 0; i < batch.Count; i++) w.RowFailed(0, e, batch, i);
                    o.Count = 0;
                    if (policy == OnError.Null) segment.EmitDefaults(batch, o);
                    else for (int i = 0; i < batch.Count; i++) batch.DisposeRow(i);
                }
                Interlocked.Add(ref stats.BusyTicksValue, Stopwatch.GetTimestamp() - t0);
                Interlocked.Add(ref stats.CpuNanosValue, CpuClock.Thread() - c0);
                Interlocked.Add(ref stats.RowsInValue, batch.Count);
                Interlocked.Add(ref stats.RowsOutValue, o.Count);
                o.Sequence = batch.Sequence;
                o.Part = 0;
                o.LastPart = true;
                batch.Release();
                output.Write(o, ct);
            }
        }
        finally
        {
            if (w is not null) DisposeResources(w).AsTask().GetAwaiter().GetResult();
            output.ProducerDone();
        }
    }

    /// <summary>Runs an async segment: up to MaxConcurrency calls in flight, several morsels at once.</summary>
    private static class AsyncRunner
    {
        public static Task Run(Segment segment, Executor<TIn, TOut> ex, int s, CancellationToken ct) =>
            segment is IAsyncSegmentRunner runner
                ? runner.RunWith(new Runner(ex, s), ct)
                : throw new InvalidOperationException($"Unknown segment type {segment.GetType().Name}.");
    }

    /// <summary>
    /// Streams an async segment: up to MaxConcurrency calls in flight across morsels; finished rows leave
    /// in parts as soon as the completions go quiet, so rows holding payloads never wait for slower rows
    /// of their morsel (which could wait on the very memory those rows hold).
    /// </summary>
    private sealed class Runner(Executor<TIn, TOut> ex, int s) : IAsyncRunner
    {
        public async Task RunAsync<TValue>(AsyncSegment<TValue> segment, CancellationToken ct)
        {
            MemoryBudget.Enter(ex._run.Budget, Tier(s));
            var input = ex._channels[s];
            var info = ex._plan.Stages[segment.Stages[0]];
            var stats = ex._run.Stages[segment.Stages[0]];
            var slots = new SemaphoreSlim(Math.Max(1, info.MaxConcurrency));
            var window = ex._options.Ordered ? new SemaphoreSlim(Math.Max(1, info.MaxConcurrency)) : null;
            var completions = System.Threading.Channels.Channel.CreateUnbounded<Completion<TValue>>(
                new System.Threading.Channels.UnboundedChannelOptions { SingleReader = true });
            var calls = new List<Task>();
            SegmentWorker? w = null;
            Task? emitter = null;
            try
            {
                w = ex.NewWorker(segment, s, 0, ct);
                var worker = w;
                emitter = Task.Run(() => EmitAsync(segment, worker, completions.Reader, window, ct), CancellationToken.None);
                while (await input.ReadAsync(ct).ConfigureAwait(false) is { } m)
                {
                    var state = new MorselState<TValue>(m);
                    // Registration comes first, in input order: the emitter keeps morsels in this order.
                    completions.Writer.TryWrite(new Completion<TValue>(state, -1, default!, null));
                    for (int i = 0; i < m.Count; i++)
                    {
                        // Ordered: at most MaxConcurrency rows between the oldest unsent and the newest started.
                        if (window is not null) await window.WaitAsync(ct).ConfigureAwait(false);
                        await slots.WaitAsync(ct).ConfigureAwait(false);
                        if (emitter.IsFaulted) await emitter.ConfigureAwait(false);
                        long t0 = Stopwatch.GetTimestamp(), c0 = CpuClock.Thread();
                        ValueTask<TValue> call;
                        try { call = segment.InvokeAsync(m, i, worker, ct); }
                        catch (Exception e) { Done(state, i, default!, e, t0); continue; }
                        finally { Interlocked.Add(ref stats.CpuNanosValue, CpuClock.Thread() - c0); } // up to its first wait
                        if (call.IsCompleted)
                        {
                            TValue value = default!;
                            Exception? error = null;
                            try { value = call.Result; } catch (Exception e) { error = e; }
                            Done(state, i, value, error, t0);
                        }
                        else calls.Add(Await(call, state, i, t0));
                    }
                    if (calls.Count > 256) calls.RemoveAll(t => t.IsCompleted);
                }
                await Task.WhenAll(calls).ConfigureAwait(false);
                completions.Writer.TryComplete();
                await emitter.ConfigureAwait(false);
            }
            finally
            {
                completions.Writer.TryComplete();
                try { await Task.WhenAll(calls).ConfigureAwait(false); } catch { /* reported by the emitter or the first await */ }
                if (emitter is not null) try { await emitter.ConfigureAwait(false); } catch { /* reported above */ }
                if (w is not null) await DisposeResources(w).ConfigureAwait(false);
                ex._channels[s + 1].ProducerDone();
            }

            void Done(MorselState<TValue> state, int row, TValue value, Exception? error, long t0)
            {
                Interlocked.Add(ref stats.BusyTicksValue, Stopwatch.GetTimestamp() - t0);
                completions.Writer.TryWrite(new Completion<TValue>(state, row, value, error));
                slots.Release();
            }

            async Task Await(ValueTask<TValue> call, MorselState<TValue> state, int row, long t0)
            {
                TValue value = default!;
                Exception? error = null;
                try { value = await call.ConfigureAwait(false); }
                catch (Exception e) { error = e; }
                Done(state, row, value, error, t0);
            }
        }

        // The single reader of completions: appends finished rows to their morsel's current part and
        // sends parts when full, when the completions go quiet, and (as the last part) when a morsel is
        // done. Ordered: rows are appended and parts sent strictly in input order (the head morsel
        // first), so every part sent is the one the ordered channel expects and never waits on later ones.
        private async Task EmitAsync<TValue>(AsyncSegment<TValue> segment, SegmentWorker w,
            System.Threading.Channels.ChannelReader<Completion<TValue>> completions, SemaphoreSlim? window, CancellationToken ct)
        {
            var output = ex._channels[s + 1];
            var pool = ex._pools[s + 1];
            var info = ex._plan.Stages[segment.Stages[0]];
            var stats = ex._run.Stages[segment.Stages[0]];
            bool ordered = window is not null;
            var open = new List<MorselState<TValue>>();   // in input order
            while (await completions.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                while (completions.TryRead(out var c))
                {
                    var st = c.State;
                    if (c.Row < 0) open.Add(st);
                    else if (ordered) st.Store(c.Row, c.Value, c.Error);
                    else await Append(st, c.Row, c.Value, c.Error).ConfigureAwait(false);

                    if (ordered)
                    {
                        while (open.Count > 0)
                        {
                            var head = open[0];
                            while (head.NextInOrder < head.Input.Count && head.IsDone(head.NextInOrder))
                            {
                                int r = head.NextInOrder++;
                                await Append(head, r, head.Values![r], head.Errors![r]).ConfigureAwait(false);
                                window!.Release();
                            }
                            if (head.Appended < head.Input.Count) break;
                            await Finish(head).ConfigureAwait(false);
                            open.RemoveAt(0);
                        }
                    }
                    else if (st.Appended == st.Input.Count)
                    {
                        await Finish(st).ConfigureAwait(false);
                        open.Remove(st);
                    }
                }
                // Quiet: nothing more has finished right now, so let what has finished move on.
                foreach (var st in open)
                {
                    if (st.Part is { Count: > 0 }) await Send(st, last: false).ConfigureAwait(false);
                    if (ordered) break;
                }
            }

            async ValueTask Finish(MorselState<TValue> st)
            {
                await Send(st, last: true).ConfigureAwait(false);
                Interlocked.Add(ref stats.RowsInValue, st.Input.Count);
                st.Input.Release();
                st.Return();
            }

            async ValueTask Append(MorselState<TValue> st, int row, TValue value, Exception? error)
            {
                st.Appended++;
                if (error is not null)
                {
                    if (error is OperationCanceledException && ct.IsCancellationRequested) throw error;
                    w.RowFailed(0, error, st.Input, row);
                    if (info.OnError != OnError.Null)
                    {
                        st.Input.DisposeRow(row);
                        return;
                    }
                    value = default!;
                }
                st.Part ??= pool.Rent();
                if (st.Part.Count == st.Part.Capacity) await Send(st, last: false).ConfigureAwait(false);
                st.Part ??= pool.Rent();
                segment.Emit(st.Input, row, value, st.Part, st.Part.Count++);
                Interlocked.Increment(ref stats.RowsOutValue);
            }

            ValueTask Send(MorselState<TValue> st, bool last)
            {
                var part = st.Part ?? pool.Rent();
                st.Part = null;
                part.Sequence = st.Input.Sequence;
                part.Part = st.NextPart++;
                part.LastPart = last;
                return output.WriteAsync(part, ct);
            }
        }
    }

    private readonly record struct Completion<TValue>(MorselState<TValue> State, int Row, TValue Value, Exception? Error);

    private sealed class MorselState<TValue>(Morsel input)
    {
        public Morsel Input { get; } = input;
        public Morsel? Part;
        public int NextPart;
        public int Appended;
        public int NextInOrder;
        public TValue[]? Values;
        public Exception?[]? Errors;
        private bool[]? _done;

        public void Store(int row, TValue value, Exception? error)
        {
            Values ??= ArrayPool<TValue>.Shared.Rent(Input.Count);
            Errors ??= ArrayPool<Exception?>.Shared.Rent(Input.Count);
            if (_done is null)
            {
                _done = ArrayPool<bool>.Shared.Rent(Input.Count);
                Array.Clear(_done, 0, Input.Count);
            }
            Values[row] = value;
            Errors[row] = error;
            _done[row] = true;
        }

        public bool IsDone(int row) => _done is not null && _done[row];

        public void Return()
        {
            if (Values is not null) ArrayPool<TValue>.Shared.Return(Values, RuntimeHelpers.IsReferenceOrContainsReferences<TValue>());
            if (Errors is not null) ArrayPool<Exception?>.Shared.Return(Errors, true);
            if (_done is not null) ArrayPool<bool>.Shared.Return(_done);
        }
    }

    private static void WriteOrigin(RowCodec<TIn>? codec, Utf8JsonWriter w, object? origin)
    {
        if (origin is TIn row && codec is not null) codec.WriteJson(w, row);
        else if (origin is null) w.WriteNullValue();
        else w.WriteStringValue(origin.ToString());
    }
}

/// <summary>Lets the executor call a generic method with an async segment's value type without reflection.</summary>
internal interface IAsyncRunner
{
    Task RunAsync<TValue>(AsyncSegment<TValue> segment, CancellationToken cancellationToken);
}

internal interface IAsyncSegmentRunner
{
    Task RunWith(IAsyncRunner runner, CancellationToken cancellationToken);
}
