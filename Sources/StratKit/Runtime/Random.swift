#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Counter-based random numbers for Monte Carlo (SPEC §13).
///
/// Sample `i` of a stream is a pure function of the stream's key and `i` (SplitMix64's
/// output function applied to `key + (i + 1)·γ`), so any chunk of samples can be drawn on
/// any thread in any order and the results never depend on the thread count or on the
/// order in which a model is evaluated. A stream's key is derived from the seed and the
/// constructor site's stable identity (its declaration path and ordinal).
enum SampleRandom {
    static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// SplitMix64's finalizer: a bijective 64-bit mix with full avalanche.
    @inline(__always) static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A 64-bit hash of a string (FNV-1a, then mixed): stable across runs and platforms.
    static func hash(_ s: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in s.utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01B3
        }
        return mix(h)
    }

    /// The key of one stream: the seed, the site's declaration path and its ordinal, and
    /// the projection period for draws inside `next:` (0 elsewhere).
    static func key(seed: UInt64, path: UInt64, local: UInt64, period: Int) -> UInt64 {
        mix(mix(mix(seed &+ gamma) ^ path) ^ local &+ mix(UInt64(truncatingIfNeeded: period) &* gamma))
    }

    /// A sub-stream of a stream (a mixture's selector, a rejection sampler's attempts).
    @inline(__always) static func substream(_ key: UInt64, _ tag: UInt64) -> UInt64 {
        mix(key ^ mix(tag &+ 0x632B_E59B_D9B4_E019))
    }

    /// The 64 random bits of sample `i`.
    @inline(__always) static func bits(_ key: UInt64, _ i: Int) -> UInt64 {
        mix(key &+ UInt64(truncatingIfNeeded: i &+ 1) &* gamma)
    }

    /// Sample `i` of a stream as a uniform in the open interval (0, 1): 53 random bits,
    /// centred in their cell, so neither 0 nor 1 ever occurs (quantile functions stay finite).
    @inline(__always) static func uniform(_ key: UInt64, _ i: Int) -> Double {
        (Double(bits(key, i) >> 11) + 0.5) * 0x1p-53
    }

    /// The standard normal quantile function Φ⁻¹(p) for p in (0, 1): Acklam's rational
    /// approximation (relative error below 1.2e-9), one branch-light formula in the
    /// central 95% and a logarithmic one in the tails. Drawing normals by inversion keeps
    /// one uniform per sample, so overriding a distribution's parameters in a scenario
    /// moves each sample monotonically (common random numbers keep their ranks).
    @inline(__always) static func normalQuantile(_ p: Double) -> Double {
        let lowP = 0.02425
        if p > lowP && p < 1 - lowP {
            let q = p - 0.5
            let r = q * q
            let num = (((((-3.969683028665376e+01 * r + 2.209460984245205e+02) * r - 2.759285104469687e+02) * r
                + 1.383577518672690e+02) * r - 3.066479806614716e+01) * r + 2.506628277459239e+00) * q
            let den = ((((-5.447609879822406e+01 * r + 1.615858368580409e+02) * r - 1.556989798598866e+02) * r
                + 6.680131188771972e+01) * r - 1.328068155288572e+01) * r + 1
            return num / den
        }
        let tail = p <= lowP ? p : 1 - p
        let q = (-2 * log(tail)).squareRoot()
        let num = ((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838e+00) * q
            - 2.549732539343734e+00) * q + 4.374664141464968e+00) * q + 2.938163982698783e+00
        let den = (((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996e+00) * q
            + 3.754408661907416e+00) * q + 1
        return p <= lowP ? num / den : -num / den
    }

    /// z such that Φ(z) = 0.95: `a to b` is the interval from p5 to p95.
    static let z95 = 1.6448536269514722

    /// A standard normal from stream `key`, sample `i`.
    @inline(__always) static func normal(_ key: UInt64, _ i: Int) -> Double {
        normalQuantile(uniform(key, i))
    }

    /// A Gamma(shape, 1) variate for sample `i` (Marsaglia and Tsang's method; shapes
    /// below 1 use the boost Gamma(shape + 1)·U^(1/shape)). Attempt `j` reads sub-stream
    /// `j`, so the result is still a function of (key, i) alone.
    static func gamma(_ shape: Double, _ key: UInt64, _ i: Int) -> Double {
        if shape < 1 {
            let g = gamma(shape + 1, substream(key, 0x5EED), i)
            return g * pow(uniform(substream(key, 0xB00), i), 1 / shape)
        }
        let d = shape - 1.0 / 3.0
        let c = 1 / (9 * d).squareRoot()
        var attempt: UInt64 = 1
        while attempt < 10_000 {
            let sub = substream(key, attempt)
            let x = normalQuantile(uniform(sub, i))
            let v0 = 1 + c * x
            if v0 > 0 {
                let v = v0 * v0 * v0
                let u = uniform(substream(sub, 1), i)
                if u < 1 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v }
            }
            attempt += 1
        }
        return d  // unreachable in practice: each attempt is accepted with probability > 0.95
    }
}
