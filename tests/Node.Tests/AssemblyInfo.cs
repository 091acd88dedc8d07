// Node processes share two cores in CI; running their specs one class at a time keeps timings honest.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
