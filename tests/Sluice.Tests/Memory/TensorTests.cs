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

    /// <summary>Rents <paramref name="count"/> tensors of <paramref name="length"/> with slots for a morsel of <paramref name="rows"/> rows installed.</summary>
    internal static Tensor[] RentInSlots(TensorSlots slots, int rows, int count, int length)
    {
        TensorSlots.Current = slots;
        try
        {
            slots.Begin(rows);
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
    public async Task Tensors_of_one_morsel_are_consecutive_slots_of_one_buffer_released_when_the_last_is_disposed()
    {
        await Task.Run(() =>
        {
            var budget = new MemoryBudget(64 << 20);
            MemoryBudget.Enter(budget, 1);
            var slots = new TensorSlots();
            var t = RentInSlots(slots, rows: 4, count: 4, length: 1000);
            Assert.All(t, x => Assert.True(x.IsBatchSlot));
            Assert.Equal(1, slots.SlabsMade);
            Assert.Equal(MemoryBudget.SizeClass(4 * 4000), budget.InFlight); // one buffer for the four
            Assert.True(Tensor.TryGetContiguous(t, out var all));
            Assert.Equal(4000, all.Length);
            for (int i = 0; i < 4; i++) Assert.Equal(i, all[i * 1000 + 999]); // row i's values, in order
            Assert.True(Tensor.TryGetContiguous(t.AsSpan(1, 2), out var middle));
            Assert.Equal(2000, middle.Length);
            Assert.False(Tensor.TryGetContiguous([t[1], t[0]], out _)); // out of order
            Assert.False(Tensor.TryGetContiguous([t[0], t[2]], out _)); // a hole

            // A new morsel starts a new slab; the old one is sealed and waits for its slots.
            var u = RentInSlots(slots, rows: 4, count: 1, length: 1000);
            Assert.Equal(2, slots.SlabsMade);
            Assert.False(Tensor.TryGetContiguous([t[3], u[0]], out _));
            foreach (var x in t.Take(3)) x.Dispose();
            Assert.Throws<ObjectDisposedException>(() => t[0].Span.Length);
            Assert.Equal(3, t[3].Span[0]);
            Assert.Equal(MemoryBudget.SizeClass(16000) * 2, budget.InFlight);
            t[3].Dispose();
            t[3].Dispose(); // twice is harmless
            Assert.Equal(MemoryBudget.SizeClass(16000), budget.InFlight);
            slots.Seal();
            Assert.Equal(MemoryBudget.SizeClass(16000), budget.InFlight); // u[0] still holds its slab
            u[0].Dispose();
            Assert.Equal(0, budget.InFlight);
        });
    }

    [Fact]
    public async Task Slots_fall_back_to_own_buffers_for_another_length_a_full_slab_or_a_small_budget()
    {
        await Task.Run(() =>
        {
            MemoryBudget.Enter(new MemoryBudget(64 << 20), 1);
            var slots = new TensorSlots();
            TensorSlots.Current = slots;
            try
            {
                slots.Begin(2);
                var a = Tensor.Rent(10);
                var b = Tensor.Rent(20); // another length: its own buffer
                var c = Tensor.Rent(10);
                var d = Tensor.Rent(10); // the slab of 2 is full: a new one
                Assert.True(a.IsBatchSlot && c.IsBatchSlot && d.IsBatchSlot);
                Assert.False(b.IsBatchSlot);
                Assert.True(Tensor.TryGetContiguous([a, c], out _));
                Assert.Equal(2, slots.SlabsMade);
                foreach (var x in new[] { a, b, c, d }) x.Dispose();

                // A slab may take at most a quarter of the limit: 4 rows of 4,000 bytes under a 40,000-byte limit
                // get a slab of 2; under a 20,000-byte one, none.
                MemoryBudget.Enter(new MemoryBudget(40_000), 1);
                slots.Begin(4);
                var e = Tensor.Rent(1000);
                var f = Tensor.Rent(1000);
                var g = Tensor.Rent(1000);
                Assert.True(Tensor.TryGetContiguous([e, f], out _));
                Assert.True(g.IsBatchSlot);
                Assert.False(Tensor.TryGetContiguous([f, g], out _));
                foreach (var x in new[] { e, f, g }) x.Dispose();
                MemoryBudget.Enter(new MemoryBudget(20_000), 1);
                slots.Begin(4);
                using var h = Tensor.Rent(1000);
                Assert.False(h.IsBatchSlot);
            }
            finally
            {
                TensorSlots.Current = null;
                slots.Seal();
            }
        });
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
