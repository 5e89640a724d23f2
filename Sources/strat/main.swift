import StratKit

REPL.install()
runWithLargeStack { Strat.main() }
