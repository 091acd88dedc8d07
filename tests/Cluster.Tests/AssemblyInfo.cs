// Three node processes, HAProxy and a 300 req/s load share two cores: one spec at a time keeps the timings honest.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
