/* time-to-botec's model, single-threaded C: splitmix64 uniforms, Box–Muller normals,
   lognormal 90% intervals, 1,000,000 samples of the mixture; prints the mean. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

static uint64_t state = 1;

static inline uint64_t splitmix64(void) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static inline double uniform(void) { return ((double)(splitmix64() >> 11) + 0.5) * 0x1p-53; }

static inline double normal(void) {
    double u1 = uniform(), u2 = uniform();
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* a to b as a 90% interval of a lognormal. */
static inline double to(double a, double b) {
    const double z = 1.6448536269514722;
    double la = log(a), lb = log(b);
    return exp((la + lb) / 2 + (lb - la) / (2 * z) * normal());
}

int main(void) {
    const int n = 1000000;
    double p_a = 0.8, p_b = 0.5, p_c = p_a * p_b;
    double w[4] = {1 - p_c, p_c / 2, p_c / 4, p_c / 4};
    double c1 = w[0], c2 = c1 + w[1], c3 = c2 + w[2];
    double sum = 0;
    for (int i = 0; i < n; i++) {
        double u = uniform(), x;
        if (u < c1) x = 0;
        else if (u < c2) x = 1;
        else if (u < c3) x = to(1, 3);
        else x = to(2, 10);
        sum += x;
    }
    printf("%.10g\n", sum / n);
    return 0;
}
