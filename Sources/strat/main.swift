import StratKit
print("strat \(StratKit.version)")
