// The client's timing specs and the fault tools' real processes share two cores: one spec at a time.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
