import StratKit

runWithLargeStack { Strat.main() }
