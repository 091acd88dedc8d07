// Spec classes run two at a time (CI has two cores): most wait on a node process or an in-process host far more than
// they compute. The classes that time a node against a bound, load it on purpose, or watch a failure detector are in
// the RunsAlone collection and run one at a time after the others (RunsAlone.cs).
[assembly: Xunit.CollectionBehavior(MaxParallelThreads = 2)]
