// Allocation is measured process-wide in RuntimeGuaranteeTests, so this assembly's tests run one at a time.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
