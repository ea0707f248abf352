namespace Sluice;

/// <summary>
/// Dedicated threads for segment workers, kept between runs. A worker blocks (on channels, on the
/// memory budget), so it must not sit on the thread pool; but a new thread per worker per run costs
/// a thread's creation and teardown each time (measured: 0.27 ms of fixed cost per run at 1 worker and
/// 0.43 ms at 2, most of it thread start and exit, on a run that otherwise takes 5 ms). So finished
/// workers' threads wait for the next run's work, and a thread idle for <see cref="IdleTimeout"/> exits.
/// </summary>
internal static class WorkerThreads
{
    /// <summary>How long an idle thread waits for work before it exits.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(20);

    private static readonly object s_lock = new();
    private static readonly List<Worker> s_idle = new();   // most recently idle last

    /// <summary>Runs <paramref name="work"/> on a dedicated thread (an idle one when there is one), in the caller's execution context.</summary>
    public static Task Run(Action work)
    {
        var item = new WorkItem(work, ExecutionContext.Capture());
        Worker? worker = null;
        lock (s_lock)
        {
            if (s_idle.Count > 0)
            {
                worker = s_idle[^1];
                s_idle.RemoveAt(s_idle.Count - 1);
            }
        }
        (worker ?? new Worker()).Post(item);
        return item.Completion.Task;
    }

    /// <summary>Threads waiting for work right now (for tests).</summary>
    internal static int IdleCount
    {
        get { lock (s_lock) return s_idle.Count; }
    }

    private sealed class WorkItem(Action work, ExecutionContext? context)
    {
        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Execute()
        {
            try
            {
                if (context is null) work();
                else ExecutionContext.Run(context, static w => ((Action)w!)(), work);
                Completion.SetResult();
            }
            catch (Exception e)   // cancellation included: it faults the task, as Task.Factory.StartNew(..., CancellationToken.None) did
            {
                Completion.SetException(e);
            }
        }
    }

    private sealed class Worker
    {
        private readonly SemaphoreSlim _signal = new(0);
        private WorkItem? _item;

        public Worker()
        {
            using var registered = new ManualResetEventSlim();
            var thread = new Thread(() =>
            {
                CpuClock.RegisterRuntimeThread(); // before anyone looks for threads a resource started
                registered.Set();
                Loop();
            }) { IsBackground = true, Name = "Sluice worker" };
            thread.Start();
            registered.Wait();
        }

        public void Post(WorkItem item)
        {
            Volatile.Write(ref _item, item);
            _signal.Release();
        }

        private void Loop()
        {
            while (true)
            {
                if (!_signal.Wait(IdleTimeout))
                {
                    lock (s_lock)
                    {
                        // Exit only if no run took this thread between the timeout and the lock.
                        if (_signal.CurrentCount == 0 && s_idle.Remove(this)) return;
                    }
                    continue;
                }
                var item = Interlocked.Exchange(ref _item, null)!;
                item.Execute();
                lock (s_lock) s_idle.Add(this);
            }
        }
    }
}
