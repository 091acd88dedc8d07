// One class at a time: a spec class starts a real node, and CI shares two cores.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
