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
}
