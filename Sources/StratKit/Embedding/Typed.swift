// Typed values at the embedding boundary: overrides, declarations and host functions as
// structs and enums rather than tuples and strings.

/// One override: a value's path and the Strat expression that replaces it, as in a
/// `scenario` (`Override("churn", "churn * 1.2")`).
public struct Override: Sendable, Hashable, Encodable, JSONWritable, CustomStringConvertible {
    /// The overridden path (`churn`, `GROW.ARR.current`).
    public var path: String
    /// The expression's source text (`4%`, `churn * 1.2`).
    public var expression: String

    /// Makes an override.
    public init(_ path: String, _ expression: String) {
        self.path = path
        self.expression = expression
    }

    /// Makes an override (the labels of ``ReportOverride``).
    public init(path: String, expr: String) { self.init(path, expr) }

    /// The expression's source text (the older name of ``expression``).
    public var expr: String {
        get { expression }
        set { expression = newValue }
    }

    /// `path = expression`.
    public var description: String { "\(path) = \(expression)" }

    /// `{"path": …, "expr": …}`, the shape of `run --format json`'s `overrides`.
    public func encode(to encoder: Encoder) throws { try encodeWritten(to: encoder) }

    func write(_ w: inout JSONWriter) {
        w.beginObject(); w.key("path"); w.string(path); w.key("expr"); w.string(expression); w.endObject()
    }
}

/// One override of a report (the same type as ``Override``).
public typealias ReportOverride = Override

extension Array where Element == Override {
    /// Overrides from `(path, expr)` pairs, the older spelling of the API.
    init(_ pairs: [(path: String, expr: String)]) { self = pairs.map { Override($0.path, $0.expr) } }
}

/// What a top-level declaration declares.
public enum DeclarationKind: String, Sendable, Hashable, CaseIterable {
    case `let`, fn, scenario, list
    case swot, objective, metric, projection, series, retro
    /// Kinds of objects that are not top-level declarations (kept for completeness).
    case item, kr, plan
}

/// A top-level declaration: its name and kind, from ``Engine/declarations``.
public struct Declaration: Sendable, Hashable {
    /// The declared name.
    public var name: String
    /// What it declares.
    public var kind: DeclarationKind
}

/// A host function declared in a ``Configuration``: every engine made from it knows the
/// function from its first load (as Wren's `bindForeignMethodFn` binds foreign methods).
public struct HostFunctionDefinition: Sendable {
    /// The name Strat code calls.
    public var name: String
    /// The exact number of arguments; -1 accepts any number.
    public var arity: Int
    /// The implementation; it may be called from every engine's thread, so it is `@Sendable`.
    public var body: @Sendable ([Value]) throws -> Value

    /// Declares a host function.
    public init(_ name: String, arity: Int, _ body: @escaping @Sendable ([Value]) throws -> Value) {
        self.name = name
        self.arity = arity
        self.body = body
    }
}

extension Engine {
    /// Top-level declarations with their kinds, in declaration order.
    public var declarations: [Declaration] {
        declaredNames.map { Declaration(name: $0.name, kind: DeclarationKind(rawValue: $0.kind) ?? .let) }
    }

    /// Evaluates overrides without changing the model and returns every value that
    /// changed, in dependency order.
    public func whatIf(_ overrides: [Override]) throws -> [Change] {
        try whatIf(overrides.map { (path: $0.path, expr: $0.expression) })
    }

    /// The report of the model under a scenario with overrides on top.
    public func report(scenario name: String? = nil, overrides: [Override], includeSeries: Bool = true) throws -> Report {
        try report(scenario: name, overrides: overrides.map { (path: $0.path, expr: $0.expression) }, includeSeries: includeSeries)
    }

    /// Runs `body` with a scenario and overrides applied, then restores the model.
    public func withOverrides<T>(scenario name: String?, overrides: [Override], _ body: () throws -> T) throws -> T {
        try withOverrides(scenario: name, overrides: overrides.map { (path: $0.path, expr: $0.expression) }, body)
    }
}

/// A score's traffic light (SPEC §5): red below 0.4, yellow below 0.7, green from there
/// (committed objectives: green only at 1).
public enum Status: String, Sendable, Hashable, CaseIterable {
    case red, yellow, green
}

extension ScoredReport {
    /// ``status`` as a ``Status``.
    public var level: Status? { status.flatMap(Status.init(rawValue:)) }
}

extension ObjectiveReport {
    /// ``status`` as a ``Status``.
    public var level: Status? { status.flatMap(Status.init(rawValue:)) }
}

extension PlanReport {
    /// ``status`` as a ``Status``.
    public var level: Status? { status.flatMap(Status.init(rawValue:)) }
}

extension ItemReport {
    /// ``category`` as an ``ItemCategory``.
    public var kind: ItemCategory? { ItemCategory.allCases.first { $0.keyword == category } }
}
