import StratKit

Heap.configure()
REPL.install()
runWithLargeStack { Strat.main() }
