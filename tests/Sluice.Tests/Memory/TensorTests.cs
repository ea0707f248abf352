using Sluice;
using Xunit;

namespace Sluice.Tests.Memory;

public class TensorTests
{
    [Fact]
    public async Task A_tensor_is_charged_to_the_current_budget_and_released_once_on_dispose()
    {
        await Task.Run(() =>
        {
            var budget = new MemoryBudget(1 << 20);
            MemoryBudget.Enter(budget, 1);
            var tensor = Tensor.Rent(1000);
            Assert.Equal(1000, tensor.Span.Length);
            Assert.Equal(MemoryBudget.SizeClass(4000), budget.InFlight); // charged at its array's size class
            tensor.Dispose();
            tensor.Dispose();
            Assert.Equal(0, budget.InFlight);
            Assert.Throws<ObjectDisposedException>(() => tensor.Span.Length);
        });
    }

    [Fact]
    public async Task A_tensor_larger_than_the_budget_is_refused_with_a_clear_error()
    {
        await Task.Run(() =>
        {
            MemoryBudget.Enter(new MemoryBudget(1000), 1);
            var e = Assert.Throws<MemoryBudgetExceededException>(() => Tensor.Rent(1000));
            Assert.Contains("memory limit", e.Message);
        });
    }

    /// <summary>Rents <paramref name="count"/> tensors of <paramref name="length"/> floats with <paramref name="slots"/> installed; tensor i is filled with i.</summary>
    internal static Tensor[] RentInSlots(TensorSlots slots, int count, int length)
    {
        TensorSlots.Current = slots;
        try
        {
            var tensors = new Tensor[count];
            for (int i = 0; i < count; i++)
            {
                tensors[i] = Tensor.Rent(length);
                tensors[i].Span.Fill(i);
            }
            return tensors;
        }
        finally { TensorSlots.Current = null; }
    }

    [Fact]
    public async Task Tensors_rented_in_order_are_consecutive_slots_of_one_buffer_released_when_the_last_is_disposed()
    {
        await Task.Run(() =>
        {
            var budget = new MemoryBudget(64 << 20);
            MemoryBudget.Enter(budget, 1);
            var slots = new TensorSlots(4);
            var t = RentInSlots(slots, count: 6, length: 1000);
            Assert.All(t, x => Assert.True(x.IsBatchSlot));
            Assert.Equal(2, slots.SlabsMade);                                // 4 slots, then 2 of the next 4
            Assert.Equal(2 * MemoryBudget.SizeClass(4 * 4000), budget.InFlight); // one buffer per 4 tensors
            Assert.True(Tensor.TryGetContiguous(t.AsSpan(0, 4), out var all));
            Assert.Equal(4000, all.Length);
            for (int i = 0; i < 4; i++) Assert.Equal(i, all[i * 1000 + 999]); // row i's values, in order
            Assert.True(Tensor.TryGetContiguous(t.AsSpan(1, 2), out var middle));
            Assert.Equal(2000, middle.Length);
            Assert.True(Tensor.TryGetContiguous(t.AsSpan(4, 2), out _));
            Assert.False(Tensor.TryGetContiguous(t.AsSpan(3, 2), out _));     // across two buffers
            Assert.False(Tensor.TryGetContiguous([t[1], t[0]], out _));       // out of order
            Assert.False(Tensor.TryGetContiguous([t[0], t[2]], out _));       // a gap

            // The first slab is full (sealed by its last claim): it goes back with its last slot.
            Assert.True(t[0].Slab!.IsSealed);
            Assert.False(t[4].Slab!.IsSealed);
            foreach (var x in t.Take(3)) x.Dispose();
            Assert.Throws<ObjectDisposedException>(() => t[0].Span.Length);
            Assert.Equal(3, t[3].Span[0]); // the others still read
            Assert.Equal(3, t[0].Slab!.Holes); // disposed before their rows reached a batch stage
            t[3].MarkArrived();
            t[3].Dispose();
            t[3].Dispose(); // twice is harmless
            Assert.Equal(3, t[3].Slab!.Holes);
            Assert.True(t[3].Slab!.IsReleased);
            Assert.Equal(MemoryBudget.SizeClass(16000), budget.InFlight);

            // The open slab waits for its seal as well as its slots.
            foreach (var x in t.Skip(4)) x.Dispose();
            Assert.Equal(MemoryBudget.SizeClass(16000), budget.InFlight);
            slots.SealOpen();
            Assert.Equal(0, budget.InFlight);
            var u = RentInSlots(slots, count: 1, length: 1000); // a sealed slab takes no claims: a new one
            Assert.Equal(3, slots.SlabsMade);
            u[0].Dispose();
            slots.SealOpen();
            Assert.Equal(0, budget.InFlight);
        });
    }

    [Fact]
    public async Task Slots_fall_back_to_own_buffers_for_another_length_or_a_slab_over_a_quarter_of_the_limit()
    {
        await Task.Run(() =>
        {
            MemoryBudget.Enter(new MemoryBudget(64 << 20), 1);
            var slots = new TensorSlots(2);
            TensorSlots.Current = slots;
            try
            {
                var a = Tensor.Rent(10);
                var b = Tensor.Rent(20); // another length than the first: its own buffer
                var c = Tensor.Rent(10);
                Assert.True(a.IsBatchSlot && c.IsBatchSlot);
                Assert.False(b.IsBatchSlot);
                Assert.True(Tensor.TryGetContiguous([a, c], out _));
                foreach (var x in new[] { a, b, c }) x.Dispose();

                // 2 rows of 4,000 bytes: a slab under a 40,000-byte limit, none under a 20,000-byte one.
                MemoryBudget.Enter(new MemoryBudget(40_000), 1);
                var big = new TensorSlots(2);
                TensorSlots.Current = big;
                using (var e = Tensor.Rent(1000)) Assert.True(e.IsBatchSlot);
                big.SealOpen();
                MemoryBudget.Enter(new MemoryBudget(20_000), 1);
                using var h = Tensor.Rent(1000);
                Assert.False(h.IsBatchSlot);
            }
            finally
            {
                TensorSlots.Current = null;
                slots.SealOpen();
            }
        });
    }

    [Fact]
    public async Task Workers_claiming_at_once_get_every_slot_once()
    {
        var budget = new MemoryBudget(256 << 20);
        var slots = new TensorSlots(16);
        var all = new System.Collections.Concurrent.ConcurrentBag<Tensor>();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            MemoryBudget.Enter(budget, 1);
            foreach (var t in RentInSlots(slots, count: 1_000, length: 8)) all.Add(t);
        })));
        slots.SealOpen();
        var bySlab = all.GroupBy(t => t.Slab!).ToList();
        Assert.Equal(4_000, all.Count);
        Assert.Equal(250, bySlab.Count);
        Assert.All(bySlab, g => Assert.Equal(Enumerable.Range(0, 16), g.Select(t => t.Slot).Order()));
        foreach (var t in all) t.Dispose();
        Assert.Equal(0, budget.InFlight);
    }

    [Fact]
    public async Task A_fill_that_throws_gives_the_tensor_back()
    {
        await Task.Run(() =>
        {
            var budget = new MemoryBudget(1 << 20);
            MemoryBudget.Enter(budget, 1);
            var e = Assert.Throws<InvalidOperationException>(() => Tensor.Create(100, 7, (_, span) => throw new InvalidOperationException("bad row")));
            Assert.Equal("bad row", e.Message);
            Assert.Equal(0, budget.InFlight);
            using var ok = Tensor.Create(3, 2f, (v, span) => span.Fill(v));
            Assert.Equal(new[] { 2f, 2f, 2f }, ok.Span.ToArray());
        });
    }
}
