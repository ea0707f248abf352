using Xunit;

namespace Sluice.Tests.Runtime;

/// <summary>Segment workers run on dedicated threads that are kept between runs.</summary>
public class WorkerThreadsTests
{
    private static readonly AsyncLocal<string?> s_flow = new();

    [Fact]
    public async Task A_finished_workers_thread_runs_the_next_work_item()
    {
        int first = 0, second = 0;
        await WorkerThreads.Run(() => first = Environment.CurrentManagedThreadId);
        // The thread goes back to the idle set just after completing the task; wait for it.
        for (int i = 0; i < 200 && WorkerThreads.IdleCount == 0; i++) await Task.Delay(5);
        Assert.True(WorkerThreads.IdleCount > 0);
        var seen = new HashSet<int>();
        for (int i = 0; i < 20; i++)
        {
            await WorkerThreads.Run(() => second = Environment.CurrentManagedThreadId);
            seen.Add(second);
            for (int k = 0; k < 200 && WorkerThreads.IdleCount == 0; k++) await Task.Delay(5);
        }
        Assert.NotEqual(Environment.CurrentManagedThreadId, first);
        Assert.True(seen.Count < 20, $"20 sequential work items used {seen.Count} threads: no thread was reused");
    }

    [Fact]
    public async Task An_exception_faults_the_task_and_the_thread_survives()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => WorkerThreads.Run(() => throw new InvalidOperationException("boom")));
        Assert.Equal("boom", e.Message);
        var cancelled = WorkerThreads.Run(() => throw new OperationCanceledException());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.True(cancelled.IsFaulted, "a cancellation inside a worker faults its task, as a LongRunning task did");
        bool ran = false;
        await WorkerThreads.Run(() => ran = true);
        Assert.True(ran);
    }

    [Fact]
    public async Task Work_runs_in_the_callers_execution_context_and_leaves_nothing_behind()
    {
        s_flow.Value = "caller";
        string? inside = null;
        await WorkerThreads.Run(() =>
        {
            inside = s_flow.Value;
            s_flow.Value = "set by the work item";
        });
        Assert.Equal("caller", inside);
        s_flow.Value = null;
        var values = new List<string?>();
        for (int i = 0; i < 10; i++) await WorkerThreads.Run(() => { lock (values) values.Add(s_flow.Value); });
        Assert.All(values, v => Assert.Null(v));
    }

    [Fact]
    public async Task Workers_run_at_the_same_time()
    {
        using var barrier = new Barrier(4);
        var tasks = Enumerable.Range(0, 4).Select(_ => WorkerThreads.Run(() => Assert.True(barrier.SignalAndWait(TimeSpan.FromSeconds(10))))).ToArray();
        await Task.WhenAll(tasks);
    }
}
