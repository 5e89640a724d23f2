import StratKit

Strat.main()
