"""time-to-botec's model in squigglepy: 1,000,000 samples of the mixture; prints the mean."""
import numpy as np
import squigglepy as sq

p_c = 0.8 * 0.5
dist = sq.mixture([[1 - p_c, 0], [p_c / 2, 1], [p_c / 4, sq.to(1, 3)], [p_c / 4, sq.to(2, 10)]])
print(f"{np.mean(sq.sample(dist, n=1_000_000)):.10g}")
