/// StratKit: the Strat interpreter library.
///
/// The library has no terminal, libedit or Foundation dependency; hosts drive it
/// through ``Engine``.
public enum StratKit {
    /// The language and library version.
    public static let version = "0.1.0"
}
