#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure while evaluating: reported once where it happened; values that depend on a
/// failed value fail silently.
struct EvalError: Error {
    var message: String
    var span: Span
    var hint: String? = nil
    /// Where the user's file called the function (in another file: the standard library,
    /// an import) that failed; reported as a note after the error.
    var callSite = Span.none
    var silent = false
    /// Unit and type errors are errors in the script (exit 65) even when evaluation finds them.
    var kind: Diagnostic.Kind = .runtime
    /// A numeric built-in met a distribution: retry it sample-wise (Distributions.swift).
    var lift = false
    static let lift = EvalError(message: "", span: .none, silent: true, lift: true)
    static let dependency = EvalError(message: "", span: .none, silent: true)
}

/// A host function registered through ``Engine/register(function:arity:_:)``.
struct HostFunction {
    var name: String
    var arity: Int
    var body: ([Value]) throws -> Value
}

enum CellState: UInt8 { case pending = 0, ok, failed, running }

/// Evaluates cells and expressions. A struct so that its arrays are accessed without
/// dynamic exclusivity checks in the hot loop.
struct Evaluator {
    let model: Model
    var nodes: [Node] = []
    var constants: [Value] = []
    var extra: [Int32] = []
    var values: [Value]
    var state: [CellState]
    var limits: Limits
    /// Polled every 65,536 steps and by `stepPeriods` before every run of periods; true
    /// stops the evaluation with "interrupted". A poll is a flag read: the REPL needs
    /// Ctrl-C to stop within 100 ms.
    var interrupt: (@Sendable () -> Bool)?
    var steps = 0
    var depth = 0
    var callDepth = 0
    var stack: [Value] = []
    var frameBase = 0
    var fnBodies: [Int32] = []
    var fnArity: [Int] = []
    var hosts: [HostFunction]
    // Projection context while stepping a `next:` formula.
    var projValue = 0.0
    var projUnit = NumberUnit.plain
    var projT = 0
    var projSeries: [[Double]] = []
    /// Whether `projSeries[p]` holds every period; a projection nothing reads period by
    /// period keeps only its start and `projLast`.
    var seriesStored: [Bool] = []
    var keepSeries: [Bool] = []
    var projLast: [Double] = []
    var projUnits: [NumberUnit] = []
    /// Sample count, seed, stream identity and uncertain projections (SPEC §13).
    var mc = MonteCarlo()
    /// Each projection's period count once its group is computed (reads past it fail).
    var projCounts: [Int] = []
    /// Values each `delay()` call site has seen, by node, for the group being stepped.
    var delays: [Int32: DelayHistory] = [:]
    /// Runtime diagnostics, in the order found.
    var diagnostics: [Diagnostic] = []
    var warningKeys: Set<String> = []
    /// Number of cells computed since the counter was last reset (observes incrementality).
    var computed = 0
    /// Lowest safe stack address for this thread: deep recursion stops with a diagnostic
    /// here instead of overflowing, whatever the build mode or the thread's stack size.
    var stackLimit: UInt = 0
    /// Lowest address of this thread's stack.
    var stackBase: UInt = 0

    /// Measures the current thread's stack; call at each entry into evaluation.
    mutating func armStackGuard() {
        let me = pthread_self()
        if stackLimit != 0 && pthread_equal(me, stackThread) != 0 { return }
        stackThread = me
        (stackBase, stackLimit) = StackGuard.limit()
    }

    private var stackThread = pthread_self()

    @inline(__always) func stackExhausted() -> Bool {
        var marker: UInt8 = 0
        let at = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
        // Below the thread's stack, the local is on AddressSanitizer's fake stack (its
        // use-after-return detection) and says nothing about the real one.
        return at < stackLimit && at >= stackBase
    }

    func stackError(_ span: Span) -> EvalError {
        EvalError(message: "evaluation nested too deeply for the thread's stack", span: span,
                  hint: "deep recursion or nesting; the limits can be lowered by the embedder, or run on a thread with a larger stack")
    }

    init(model: Model, limits: Limits, hosts: [HostFunction]) {
        self.model = model
        self.limits = limits
        self.hosts = hosts
        values = [Value](repeating: .none, count: model.cells.count)
        state = [CellState](repeating: .pending, count: model.cells.count)
        codeIndex = [Int32](repeating: -1, count: model.cells.count)
        projSeries = [[Double]](repeating: [], count: model.projections.count)
        seriesStored = [Bool](repeating: false, count: model.projections.count)
        keepSeries = [Bool](repeating: false, count: model.projections.count)
        projLast = [Double](repeating: 0, count: model.projections.count)
        projUnits = [NumberUnit](repeating: .plain, count: model.projections.count)
        projCounts = [Int](repeating: -1, count: model.projections.count)
        refresh()
    }

    /// Takes fresh views of the model's arrays (after overrides added nodes or cells).
    mutating func refresh() {
        nodes = model.pool.nodes
        constants = model.pool.constants
        extra = model.pool.extra
        // Functions are fixed once the model is built; this runs on every query.
        if fnBodies.count != model.functions.count {
            fnBodies = model.functions.map(\.body)
            fnArity = model.functions.map(\.params.count)
        }
        if codeIndex.count < model.cells.count {
            codeIndex.append(contentsOf: repeatElement(-1, count: model.cells.count - codeIndex.count))
        }
        if values.count < model.cells.count {
            values.append(contentsOf: [Value](repeating: .none, count: model.cells.count - values.count))
            state.append(contentsOf: [CellState](repeating: .pending, count: model.cells.count - state.count))
        }
    }

    // MARK: Diagnostics

    mutating func report(_ e: EvalError) {
        if e.silent { return }
        diagnostics.append(DiagnosticSink.make(.error, e.kind, e.message, at: e.span, hint: e.hint, files: model.program.files))
        if e.callSite.file >= 0 {
            var note = DiagnosticSink.make(.note, e.kind, "", at: e.callSite, hint: nil, files: model.program.files)
            note.message = "called from \(note.path):\(note.line):\(note.column)"
            diagnostics.append(note)
        }
    }

    mutating func warn(_ message: String, at span: Span, hint: String? = nil) {
        let key = "\(span.file):\(span.start):\(message)"
        if !warningKeys.insert(key).inserted { return }
        diagnostics.append(DiagnosticSink.make(.warning, .compile, message, at: span, hint: hint, files: model.program.files))
    }

    // MARK: Cells

    /// Evaluates every cell in dependency order.
    mutating func evaluateAll() {
        steps = 0
        armStackGuard()
        for c in model.order where state[Int(c)] == .pending { compute(c) }
    }

    /// Per cell: -1 never computed, -3 computed once, -2 not compilable, else an index
    /// into `codes`. A formula is compiled the second time it is computed (what-ifs,
    /// recalculation): one-shot evaluation does not pay for compiling.
    var codeIndex: [Int32] = []
    var codes: [NumericCode] = []
    let scratch = Scratch()
    /// First node of the innermost scratch scope (``Engine/withScratch(_:)``); cells whose
    /// formula starts at or past it are interpreted, never compiled.
    var compileBelow = Int32.max

    /// Forgets a cell's compiled code (its formula was replaced by an override).
    mutating func invalidateCode(_ c: Int32) {
        if Int(c) < codeIndex.count { codeIndex[Int(c)] = -1 }
    }

    mutating func compute(_ c: Int32) {
        // Constructors key their draws by the declaration being computed.
        let cell = mc.cell, period = mc.period
        mc.cell = c
        mc.period = 0
        computeCell(c)
        mc.cell = cell
        mc.period = period
    }

    private mutating func computeCell(_ c: Int32) {
        let i = Int(c)
        state[i] = .running
        computed += 1
        if i < codeIndex.count, codeIndex[i] != -1, model.cells[i].kind == .formula, !model.cells[i].customScore {
            if codeIndex[i] == -3 {
                // Formulas of a scratch scope (a what-if's overrides) are not compiled: their
                // nodes are forgotten when the scope ends, and the code would outlive them.
                if model.cells[i].node < compileBelow, let code = NumericCode.compileCell(model.cells[i].node, &self) {
                    codes.append(code)
                    codeIndex[i] = Int32(codes.count - 1)
                } else {
                    codeIndex[i] = -2
                }
            }
            if codeIndex[i] >= 0 {
                let k = Int(codeIndex[i])
                steps &+= codes[k].ops.count
                if let r = codes[k].runCell(&self, scratch) {
                    values[i] = .number(r, codes[k].unit)
                    state[i] = .ok
                    return
                }
            }
        } else if i < codeIndex.count, codeIndex[i] == -1 {
            codeIndex[i] = -3
        }
        do {
            let v = try computeValue(c)
            values[i] = v
            state[i] = .ok
        } catch {
            values[i] = .none
            state[i] = .failed
            report(error)
        }
    }

    private mutating func computeValue(_ c: Int32) throws(EvalError) -> Value {
        let cell = model.cells[Int(c)]
        switch cell.kind {
        case .formula, .constant:
            let v = try eval(cell.node)
            if case .ref(let r) = v, cell.owner < 0 || model.objects[Int(cell.owner)].kind != .plan, r.id < 0 {
                return .none
            }
            return cell.customScore ? try checkedScore(v, cell) : v
        case .derived:
            // SPEC §2 holds for built-in semantics too: huge weights (1e308 + 1e308) or a
            // target of 1e-320 must not turn into an `inf` progress or a `nan` score.
            let v = try computeDerived(c, cell)
            if case .number(let d, _) = v, !d.isFinite {
                throw EvalError(message: "'\(model.cellPath(c))' is not a finite number", span: cell.span,
                                hint: "check the numbers it is computed from (weights, ratings, targets, probability and impact)")
            }
            return v
        }
    }

    /// The value of a cell, computing it first when needed (dynamic member access).
    @inline(__always)
    mutating func read(_ c: Int32, _ span: Span) throws(EvalError) -> Value {
        switch state[Int(c)] {
        case .ok: return values[Int(c)]
        case .failed: throw EvalError.dependency
        case .running:
            throw EvalError(message: "reference cycle through '\(model.cellPath(c))'", span: span)
        case .pending:
            if depth > limits.maxNesting * 4 {
                throw EvalError(message: "nesting deeper than \(limits.maxNesting * 4) while computing values on demand", span: span)
            }
            if stackExhausted() { throw stackError(span) }
            depth += 1
            compute(c)
            depth -= 1
            if state[Int(c)] == .failed { throw EvalError.dependency }
            return values[Int(c)]
        }
    }

    // MARK: Expressions

    /// A binary operation other than `and`, `or` and `->`. Out of line: `eval`'s frame is
    /// paid at every level of nesting (debug builds give it room for every local of every
    /// case), and the nesting limit must fit the stack.
    @inline(never)
    private mutating func binaryOperation(_ op: BinaryOp, _ n: Node) throws(EvalError) -> Value {
        // Most operands of arithmetic are literals and computed cells: read in place.
        if let (x, ux) = leafNumber(n.a) {
            if let (y, uy) = leafNumber(n.b) { return try arithmetic(op, x, ux, y, uy, n) }
            let r = try eval(n.b)
            if case .number(let y, let uy) = r { return try arithmetic(op, x, ux, y, uy, n) }
            return try binaryOther(op, .number(x, ux), r, n)
        }
        let l = try eval(n.a)
        if case .number(let x, let ux) = l, let (y, uy) = leafNumber(n.b) { return try arithmetic(op, x, ux, y, uy, n) }
        let r = try eval(n.b)
        if case .number(let x, let ux) = l, case .number(let y, let uy) = r {
            return try arithmetic(op, x, ux, y, uy, n)
        }
        return try binaryOther(op, l, r, n)
    }

    /// What `eval(i)` gives for a number literal or a cell already computed to a number,
    /// without the call: the step is counted as `eval` counts it. Nil for anything else,
    /// and where `eval` would stop (the step limit, an interrupt check, the nesting limit),
    /// so that `eval` reports it. A leaf takes no stack: the stack check is not needed.
    @inline(__always)
    mutating func leafNumber(_ i: Int32) -> (Double, NumberUnit)? {
        let m = nodes[Int(i)]
        let next = steps &+ 1
        guard next <= limits.maxSteps, next & 0xFFFF != 0, depth <= limits.maxNesting * 4 else { return nil }
        if m.kind == .number && m.op == 0 {
            steps = next
            return (Double(bitPattern: UInt64(UInt32(bitPattern: m.a)) << 32 | UInt64(UInt32(bitPattern: m.b))), NumberUnit())
        }
        if m.kind == .cell, state[Int(m.a)] == .ok, case .number(let d, let u) = values[Int(m.a)] {
            steps = next
            return (d, u)
        }
        return nil
    }

    mutating func eval(_ i: Int32) throws(EvalError) -> Value {
        steps &+= 1
        if steps > limits.maxSteps {
            throw EvalError(message: "more than \(formatCount(limits.maxSteps)) evaluation steps", span: nodes[Int(i)].span,
                            hint: "the step limit can be raised by the embedder")
        }
        if steps & 0xFFFF == 0, let stop = interrupt, stop() {
            throw EvalError(message: "interrupted", span: nodes[Int(i)].span)
        }
        let n = nodes[Int(i)]
        // Every composite expression raises `depth` before evaluating its operands, so one
        // check here covers all of them (negation, not, conditions, lists, calls, …).
        if depth > limits.maxNesting * 4 { throw nestingError(n.span) }
        if stackExhausted() { throw stackError(n.span) }
        switch n.kind {
        case .number:
            return n.numberValue(constants)
        case .string, .constant:
            return constants[Int(n.a)]
        case .bool:
            return .bool(n.a != 0)
        case .none:
            return .none
        case .cell:
            return try read(n.a, n.span)
        case .local:
            return stack[frameBase + Int(n.a)]
        case .projValue:
            if mc.value != nil { return uncertainValue() }
            return .number(projValue, projUnit)
        case .projT:
            return .number(Double(projT))
        case .projPrev:
            let s = projSeries[Int(n.a)]
            let k = projT - Int(n.b)
            if mc.uncertainProjections { return try uncertainPeriodOrRead(Int(n.a), k, n.span) }
            if k >= 0, k < s.count { return .number(s[k], projUnits[Int(n.a)]) }
            return try readPeriod(Int(n.a), k, n.span)
        case .projAt:
            depth += 1
            defer { depth -= 1 }
            let iv = try eval(n.b)
            guard case .number(let d, let u) = iv, u.isDimensionless, d == d.rounded(), abs(d) < 1e15 else {
                throw EvalError(message: "a period must be a whole plain number, not \(describeOperand(iv, n.b))", span: nodes[Int(n.b)].span)
            }
            return try readPeriod(Int(n.a), Int(d), n.span)
        case .object:
            return .ref(ObjectRef(id: n.a, path: model.objects[Int(n.a)].path))
        case .neg:
            depth += 1
            defer { depth -= 1 }
            let v = try eval(n.a)
            guard case .number(let d, let u) = v else { return try distUnary(.neg, v, n) }
            return .number(-d, u)
        case .not:
            depth += 1
            defer { depth -= 1 }
            let v = try eval(n.a)
            guard case .bool(let b) = v else { return try distUnary(.not, v, n) }
            return .bool(!b)
        case .binary:
            depth += 1
            defer { depth -= 1 }
            let op = BinaryOp(rawValue: n.op)!
            if op == .and || op == .or {
                let l = try eval(n.a)
                guard case .bool(let lb) = l else { return try uncertainLogic(op, l, n) }
                if op == .and && !lb { return .bool(false) }
                if op == .or && lb { return .bool(true) }
                let r = try eval(n.b)
                guard case .bool(let rb) = r else { return try uncertainLogicRight(op, lb, r, n) }
                return .bool(rb)
            }
            if op == .convert { return try convert(try eval(n.a), (nodes[Int(n.b)].numberValue(constants).unit ?? .plain).display, n) }
            return try binaryOperation(op, n)
        case .cond:
            depth += 1
            defer { depth -= 1 }
            let c = try eval(n.a)
            guard case .bool(let b) = c else { return try distCond(c, n) }
            return try eval(extra[Int(n.b) + (b ? 0 : 1)])
        case .list:
            depth += 1
            defer { depth -= 1 }
            var out: [Value] = []
            let items = extra.childRange(n)
            out.reserveCapacity(items.count)
            var nested = false
            for k in items {
                let v = try eval(extra[k])
                if case .list = v { nested = true }
                out.append(v)
            }
            if nested { _ = try listDepth(out, n.span, level: 1) }
            return .list(out)
        case .interp:
            depth += 1
            defer { depth -= 1 }
            var s = ""
            for k in extra.childRange(n) {
                // Shown with a budget: a huge (or hugely shared) list stops at the limit
                // instead of being written out in full first.
                var budget = limits.maxStringLength - s.utf8.count + 1
                let piece = try eval(extra[k]).display(nested: false, budget: &budget)
                if budget <= 0 || s.utf8.count + piece.utf8.count > limits.maxStringLength { throw stringLimit(n.span) }
                try charge(bytes: piece.utf8.count, n.span)
                s += piece
            }
            return .string(s)
        case .index:
            depth += 1
            defer { depth -= 1 }
            let base = try eval(n.a)
            let iv = try eval(n.b)
            return try index(base, iv, n)
        case .builtin:
            depth += 1
            defer { depth -= 1 }
            return try callAnyBuiltin(n, i)
        case .userCall:
            depth += 1
            defer { depth -= 1 }
            return try callUser(n)
        case .hostCall:
            depth += 1
            defer { depth -= 1 }
            return try callHost(n)
        case .dynMember:
            depth += 1
            defer { depth -= 1 }
            let base = try eval(n.a)
            return try dynamicMember(base, n.b, n.span)
        case .projSeries:
            _ = try read(model.projections[Int(n.a)].group, n.span)
            try ensureSeries(Int(n.a), n.span)
            let s = projSeries[Int(n.a)], u = projUnits[Int(n.a)]
            try charge(elements: s.count, n.span)
            if mc.uncertainProjections { return uncertainSeries(Int(n.a)) }
            return .list(s.map { .number($0, u) })
        case .range:
            return try draw(i)
        case .threshold:
            throw EvalError(message: "a threshold ('>= x' or '<= x') is only allowed as a 'target:'", span: n.span)
        case .solved:
            depth += 1
            defer { depth -= 1 }
            return try evalSolve(n)
        case .error:
            // An unknown name, reported when the model was resolved: the cell fails quietly.
            throw EvalError.dependency
        case .name, .member, .call, .solve:
            throw EvalError(message: "internal: unresolved expression", span: n.span)
        }
    }

    /// Counts `n` steps of work done in one go (elements mapped, copied or compared), so
    /// that the step limit bounds it like any other evaluation.
    @inline(__always)
    mutating func charge(_ n: Int, _ span: Span) throws(EvalError) {
        steps &+= n
        if steps > limits.maxSteps {
            throw EvalError(message: "more than \(formatCount(limits.maxSteps)) evaluation steps", span: span,
                            hint: "the step limit can be raised by the embedder")
        }
    }

    /// A list of `n` new elements: 4 steps each, so that the step limit also bounds the
    /// memory values take (100,000,000 steps: 25,000,000 elements, about 600 MB).
    @inline(__always)
    mutating func charge(elements n: Int, _ span: Span) throws(EvalError) { try charge(n &* 4, span) }

    /// Work over `n` bytes of text: one step per 8 bytes.
    @inline(__always)
    mutating func charge(bytes n: Int, _ span: Span) throws(EvalError) { try charge(n >> 3, span) }

    /// Deepest nesting of a list value (1 for a flat list); lists nested deeper than
    /// 4 × `maxNesting` are an error (they would exhaust the stack when printed, compared
    /// or freed). Visited lists count as steps.
    mutating func listDepth(_ items: [Value], _ span: Span, level: Int) throws(EvalError) -> Int {
        if level > limits.maxNesting * 4 {
            throw EvalError(message: "list nested deeper than \(limits.maxNesting * 4)", span: span)
        }
        var d = 1
        for v in items {
            if case .list(let inner) = v {
                try charge(1 + inner.count >> 6, span)
                d = Swift.max(d, 1 + (try listDepth(inner, span, level: level + 1)))
            }
        }
        return d
    }

    /// `==` on values, lists element by element, each element a step.
    mutating func equal(_ a: Value, _ b: Value, _ span: Span) throws(EvalError) -> Bool {
        guard case .list(let x) = a, case .list(let y) = b else {
            if case .string(let p) = a, case .string(let q) = b { try charge(bytes: Swift.min(p.utf8.count, q.utf8.count), span) }
            return Value.equal(a, b)
        }
        if x.count != y.count { return false }
        try charge(x.count, span)
        for i in 0..<x.count where !(try equal(x[i], y[i], span)) { return false }
        return true
    }

    /// Checks a value a host function returned (see ``callHost``).
    private mutating func checkHostValue(_ v: Value, _ name: String, _ span: Span, level: Int) throws(EvalError) {
        switch v {
        case .number(let d, let u):
            if !d.isFinite { throw EvalError(message: "function '\(name)' returned a number that is not finite", span: span) }
            if !NumberUnit.exponentsFit(Int(u.time), Int(u.money)) { throw exponentError(span) }
        case .string(let s):
            if s.utf8.count > limits.maxStringLength {
                throw EvalError(message: "function '\(name)' returned a string longer than \(formatCount(limits.maxStringLength)) bytes", span: span)
            }
        case .list(let items):
            if items.count > limits.maxListLength {
                throw EvalError(message: "function '\(name)' returned a list longer than \(formatCount(limits.maxListLength)) elements", span: span)
            }
            if level >= limits.maxNesting * 4 {
                throw EvalError(message: "function '\(name)' returned a list nested deeper than \(limits.maxNesting * 4)", span: span)
            }
            try charge(items.count, span)
            for x in items { try checkHostValue(x, name, span, level: level + 1) }
        case .ref(let r):
            if r.id < 0 || Int(r.id) >= model.objects.count {
                throw EvalError(message: "function '\(name)' returned an unknown object", span: span)
            }
        case .bool, .none, .dist: break  // a distribution can only be one of its arguments, already checked
        }
    }

    private func nestingError(_ span: Span) -> EvalError {
        EvalError(message: "nesting deeper than \(limits.maxNesting * 4) while evaluating", span: span)
    }

    private func stringLimit(_ span: Span) -> EvalError {
        EvalError(message: "string longer than \(formatCount(limits.maxStringLength)) bytes", span: span)
    }

    /// Describes a value for messages, naming a missing property when the value is none.
    func describeOperand(_ v: Value, _ node: Int32) -> String {
        if case .none = v {
            let n = nodes[Int(node)]
            if n.kind == .cell { return "'\(model.cellPath(n.a))', which is none" }
            return "none"
        }
        if case .number(_, let u) = v { return "a number (\(u.nameForMessages))" }
        return "a \(v.kindName)"
    }

    func typeError(_ verb: String, _ v: Value, _ node: Int32, _ span: Span) -> EvalError {
        if case .none = v, nodes[Int(node)].kind == .cell {
            let path = model.cellPath(nodes[Int(node)].a)
            return EvalError(message: "'\(path)' is none, so it cannot be used here", span: nodes[Int(node)].span,
                             hint: "give '\(path)' a value, or check it with 'if \(path) == none then … else …'")
        }
        // A value of the wrong type is an error in the script (65); an optional that was not
        // given (none) is a run-time condition (70).
        return EvalError(message: "cannot \(verb) \(describeOperand(v, node))", span: span, kind: v.isNone ? .runtime : .compile)
    }

    /// `x op y` for two plain numbers, the common case, inline: the same result as
    /// ``arithmeticWithUnits(_:_:_:_:_:_:)``, which takes every other case and every error.
    @inline(__always)
    func arithmetic(_ op: BinaryOp, _ x: Double, _ ux: NumberUnit, _ y: Double, _ uy: NumberUnit, _ n: Node) throws(EvalError) -> Value {
        if ux == .plain && uy == .plain {
            let r: Double
            switch op {
            case .add: r = x + y
            case .sub: r = x - y
            case .mul: r = x * y
            case .div where y != 0: r = x / y
            default: return try arithmeticWithUnits(op, x, ux, y, uy, n)
            }
            if r.isFinite { return .number(r, .plain) }
        }
        return try arithmeticWithUnits(op, x, ux, y, uy, n)
    }

    func arithmeticWithUnits(_ op: BinaryOp, _ x: Double, _ ux: NumberUnit, _ y: Double, _ uy: NumberUnit, _ n: Node) throws(EvalError) -> Value {
        if ux.display == .date || uy.display == .date, let v = try dateArithmetic(op, x, ux, y, uy, n) { return v }
        let r: Double
        var u = ux
        switch op {
        case .add, .sub:
            guard ux.time == uy.time && ux.money == uy.money else { throw mismatch(op, ux, uy, n.span) }
            r = op == .add ? x + y : x - y
        case .mul:
            r = x * y
            if !(ux.display == .plain && uy.display == .plain && ux.isDimensionless && uy.isDimensionless) {
                guard NumberUnit.exponentsFit(Int(ux.time) + Int(uy.time), Int(ux.money) + Int(uy.money)) else { throw exponentError(n.span) }
                u = NumberUnit.product(ux, uy)
            }
        case .div:
            if y == 0 { throw EvalError(message: "division by zero", span: n.span) }
            r = x / y
            if !(ux.display == .plain && uy.display == .plain && ux.isDimensionless && uy.isDimensionless) {
                guard NumberUnit.exponentsFit(Int(ux.time) - Int(uy.time), Int(ux.money) - Int(uy.money)) else { throw exponentError(n.span) }
                u = NumberUnit.quotient(ux, uy)
            }
        case .pow:
            guard uy.isDimensionless else {
                throw EvalError(message: "unit mismatch: an exponent must be a plain number, not \(uy.nameForMessages)", span: n.span, kind: .compile)
            }
            if !ux.isDimensionless {
                guard y == y.rounded(), abs(y) <= 16 else {
                    throw EvalError(message: "unit mismatch: \(ux.nameForMessages) can only be raised to a whole power", span: n.span, kind: .compile)
                }
                let t = Int(ux.time) * Int(y), m = Int(ux.money) * Int(y)
                guard NumberUnit.exponentsFit(t, m) else { throw exponentError(n.span) }
                u = NumberUnit(time: Int8(t), money: Int8(m),
                               display: y == 1 || (ux.display.isTime && ux.money == 0) ? ux.display : .plain,
                               per: y == 1 ? ux.per : .plain)
            } else if ux.display == .percent {
                u = .plain
            }
            r = pow(x, y)
        case .eq, .ne, .lt, .le, .gt, .ge:
            guard ux.time == uy.time && ux.money == uy.money else { throw mismatch(op, ux, uy, n.span) }
            switch op {
            case .eq: return .bool(Value.numbersEqual(x, y))
            case .ne: return .bool(!Value.numbersEqual(x, y))
            case .lt: return .bool(x < y)
            case .le: return .bool(x <= y || Value.numbersEqual(x, y))
            case .gt: return .bool(x > y)
            default: return .bool(x >= y || Value.numbersEqual(x, y))
            }
        case .and, .or:
            throw EvalError(message: "'\(op.symbol)' needs booleans", span: n.span)
        case .convert:
            throw EvalError(message: "internal: conversion without a unit", span: n.span)
        }
        guard r.isFinite else {
            throw EvalError(message: "\(x) \(op.symbol) \(y) is not a finite number", span: n.span,
                            hint: "the result overflowed or is undefined")
        }
        return .number(r, u)
    }

    func exponentError(_ span: Span) -> EvalError {
        EvalError(message: "unit exponent out of range (beyond ±\(NumberUnit.maxExponent))", span: span)
    }

    func mismatch(_ op: BinaryOp, _ a: NumberUnit, _ b: NumberUnit, _ span: Span) -> EvalError {
        let verb: String
        switch op {
        case .add: verb = "add"
        case .sub: verb = "subtract"
        default: verb = "compare"
        }
        return EvalError(message: "unit mismatch: cannot \(verb) \(a.nameForMessages) and \(b.nameForMessages)", span: span,
                         hint: "both sides of '\(op.symbol)' need the same dimension (time, money or none)", kind: .compile)
    }

    private mutating func binaryOther(_ op: BinaryOp, _ l: Value, _ r: Value, _ n: Node) throws(EvalError) -> Value {
        if l.isUncertain || r.isUncertain { return try distBinary(op, l, r, n) }
        switch op {
        case .eq: return .bool(try equal(l, r, n.span))
        case .ne: return .bool(try !equal(l, r, n.span))
        default: break
        }
        if case .string(let a) = l, case .string(let b) = r {
            switch op {
            case .add:
                if a.utf8.count + b.utf8.count > limits.maxStringLength { throw stringLimit(n.span) }
                try charge(bytes: a.utf8.count + b.utf8.count, n.span)
                return .string(a + b)
            case .lt, .le, .gt, .ge:
                try charge(bytes: Swift.min(a.utf8.count, b.utf8.count), n.span)
            default: break
            }
            switch op {
            case .lt: return .bool(a < b)
            case .le: return .bool(a <= b)
            case .gt: return .bool(a > b)
            case .ge: return .bool(a >= b)
            default: break
            }
        }
        if case .list(let a) = l, case .list(let b) = r, op == .add {
            if a.count + b.count > limits.maxListLength {
                throw EvalError(message: "list longer than \(formatCount(limits.maxListLength)) elements", span: n.span)
            }
            try charge(elements: a.count + b.count, n.span)
            return .list(a + b)
        }
        let verb: String
        switch op {
        case .add: verb = "add"
        case .sub: verb = "subtract"
        case .mul: verb = "multiply"
        case .div: verb = "divide"
        case .pow: verb = "raise"
        default: verb = "compare"
        }
        if case .none = l { throw typeError(verb, l, n.a, n.span) }
        if case .none = r { throw typeError(verb, r, n.b, n.span) }
        return try { () throws(EvalError) -> Value in
            throw EvalError(message: "cannot \(verb) \(describeOperand(l, n.a)) and \(describeOperand(r, n.b))", span: n.span, kind: l.isNone || r.isNone ? .runtime : .compile)
        }()
    }

    private mutating func index(_ base: Value, _ iv: Value, _ n: Node) throws(EvalError) -> Value {
        guard case .number(let d, let u) = iv, u.isDimensionless else {
            throw EvalError(message: "an index must be a plain number, not \(describeOperand(iv, n.b))", span: nodes[Int(n.b)].span)
        }
        guard d == d.rounded() else {
            throw EvalError(message: "index \(NumberFormat.significant(d)) must be a whole number", span: nodes[Int(n.b)].span)
        }
        switch base {
        case .list(let items):
            guard d >= 0, d < Double(items.count) else {
                throw EvalError(message: "index \(NumberFormat.significant(d)) out of range (the list has \(items.count) element\(items.count == 1 ? "" : "s"))",
                                span: nodes[Int(n.b)].span, hint: items.isEmpty ? nil : "indexes start at 0 and end at \(items.count - 1)")
            }
            return items[Int(d)]
        case .ref(let r) where model.objects[Int(r.id)].kind == .projection:
            let p = Int(model.objects[Int(r.id)].projection)
            _ = try read(model.projections[p].group, n.span)
            try ensureSeries(p, n.span)
            let s = projSeries[p]
            if !mc.projDists[p].isEmpty, d >= 0, d < Double(mc.projDists[p].count) { return .dist(mc.projDists[p][Int(d)], projUnits[p]) }
            guard d >= 0, d < Double(s.count) else {
                throw EvalError(message: "period \(NumberFormat.significant(d)) out of range (projection '\(r.path)' has periods 0…\(max(0, s.count - 1)))",
                                span: nodes[Int(n.b)].span)
            }
            return .number(s[Int(d)], projUnits[p])
        default:
            throw EvalError(message: "cannot index \(describeOperand(base, n.a))", span: n.span, kind: base.isNone ? .runtime : .compile)
        }
    }

    mutating func dynamicMember(_ base: Value, _ name: Int32, _ span: Span) throws(EvalError) -> Value {
        switch base {
        case .list(let items):
            for v in items {
                if case .ref(let r) = v, model.objects[Int(r.id)].name == name { return v }
            }
            // Mapping a member over a list is work per element (nested lists multiply it).
            try charge(elements: items.count, span)
            var out: [Value] = []
            out.reserveCapacity(items.count)
            for v in items { out.append(try dynamicMember(v, name, span)) }
            return .list(out)
        case .ref(let r):
            let o = model.objects[Int(r.id)]
            if o.kind == .projection && model.interner[name] == "series" {
                let p = Int(o.projection)
                _ = try read(model.projections[p].group, span)
                try ensureSeries(p, span)
                try charge(elements: projSeries[p].count, span)
                if !mc.projDists[p].isEmpty { return .list(mc.projDists[p].map { .dist($0, projUnits[p]) }) }
                return .list(projSeries[p].map { .number($0, projUnits[p]) })
            }
            switch o.members[name] {
            case .cell(let c)?: return try read(c, span)
            case .object(let x)?: return .ref(ObjectRef(id: x, path: model.objects[Int(x)].path))
            case .objects(let l)?: return .list(l.map { .ref(ObjectRef(id: $0, path: model.objects[Int($0)].path)) })
            case nil:
                if let v = model.genericMember(r.id, model.interner[name]) { return v }
                let hint = closest(model.interner[name], among: o.order.map { model.interner[$0] }).map { "did you mean '\($0)'?" }
                throw EvalError(message: "unknown member '\(model.interner[name])' of \(o.kind.word) '\(o.path)'", span: span, hint: hint)
            }
        case .number(let d, let u) where u.isDate:
            let date = CalendarDate(unixSeconds: d)
            if let v = Self.dateMember(date, model.interner[name]) { return v }
            let hint = closest(model.interner[name], among: ["year", "month", "day", "quarter", "week", "weekday"]).map { "did you mean '\($0)'?" }
                ?? "a date has year, month, day, quarter, week and weekday"
            throw EvalError(message: "unknown member '\(model.interner[name])' of the date \(date)", span: span, hint: hint)
        default:
            throw EvalError(message: "cannot take member '\(model.interner[name])' of a \(base.kindName)", span: span, kind: base.isNone ? .runtime : .compile)
        }
    }

    // MARK: Calls

    private mutating func callUser(_ n: Node) throws(EvalError) -> Value {
        if stackExhausted() { throw stackError(n.span) }
        if callDepth >= limits.maxCallDepth {
            throw EvalError(message: "call depth deeper than \(limits.maxCallDepth)", span: n.span,
                            hint: "is the recursion missing a base case? The limit can be raised by the embedder")
        }
        let argc = Int(extra.childCount(n))
        guard argc == fnArity[Int(n.a)] else {
            throw EvalError(message: "function takes \(fnArity[Int(n.a)]) arguments, got \(argc)", span: n.span)
        }
        let base = stack.count
        for k in extra.childRange(n) {
            let v = try eval(extra[k])
            stack.append(v)
        }
        let saved = frameBase
        frameBase = base
        callDepth += 1
        defer {
            callDepth -= 1
            frameBase = saved
            stack.removeSubrange(base...)
        }
        do { return try eval(fnBodies[Int(n.a)]) } catch { throw withCallSite(error, n.span) }
    }

    /// An error from a function body in another file than the call (`cagr` of the standard
    /// library called from the model) records the call, the one nearest the user's code.
    @inline(never)
    private func withCallSite(_ e: EvalError, _ call: Span) -> EvalError {
        guard !e.silent, e.callSite.file < 0, e.span.file >= 0, call.file >= 0, call.file != e.span.file else { return e }
        var e = e
        e.callSite = call
        return e
    }

    private mutating func callHost(_ n: Node) throws(EvalError) -> Value {
        var args: [Value] = []
        for k in extra.childRange(n) { args.append(try eval(extra[k])) }
        let h = hosts[Int(n.a)]
        do {
            let v = try h.body(args)
            // A host value meets the checks a Strat value meets: finite numbers at any
            // depth, the string and list limits, the nesting limit.
            try checkHostValue(v, h.name, n.span, level: 0)
            return v
        } catch let e as EvalError {
            throw e
        } catch {
            throw EvalError(message: "function '\(h.name)' failed: \(error)", span: n.span)
        }
    }

    /// Numbers of a call's arguments: one list argument, or the arguments themselves.
    mutating func numberArgs(_ n: Node, _ name: String, flatten: Bool) throws(EvalError) -> [(Double, NumberUnit)] {
        var vals: [Value] = []
        for k in extra.childRange(n) { vals.append(try eval(extra[k])) }
        if flatten, vals.count == 1, case .list(let l) = vals[0] { vals = l; try charge(l.count, n.span) }
        var out: [(Double, NumberUnit)] = []
        out.reserveCapacity(vals.count)
        for v in vals {
            switch v {
            case .number(let d, let u):
                if let f = out.first, !f.1.sameDimension(u) {
                    throw EvalError(message: "unit mismatch in \(name)(): \(f.1.nameForMessages) and \(u.nameForMessages)", span: n.span, kind: .compile)
                }
                out.append((d, u))
            case .none: continue
            case .dist: throw EvalError.lift
            default:
                throw EvalError(message: "\(name)() needs numbers, got a \(v.kindName)", span: n.span)
            }
        }
        return out
    }

    mutating func oneNumber(_ n: Node, _ k: Int, _ name: String) throws(EvalError) -> (Double, NumberUnit) {
        let node = extra[Int(n.b) + k]
        let v = try eval(node)
        guard case .number(let d, let u) = v else {
            if case .none = v { throw typeError("call \(name)() with", v, node, n.span) }
            if case .dist = v { throw EvalError.lift }
            throw EvalError(message: "\(name)() needs a number, got \(describeOperand(v, node))", span: n.span)
        }
        return (d, u)
    }

    private func finite(_ d: Double, _ u: NumberUnit, _ name: String, _ span: Span) throws(EvalError) -> Value {
        guard d.isFinite else { throw EvalError(message: "\(name)() result is not a finite number", span: span) }
        return .number(d, u)
    }

    mutating func callBuiltin(_ b: Builtin, _ n: Node) throws(EvalError) -> Value {
        switch b {
        case .min, .max:
            // Two plain numbers were tried first, in `callBuiltinOrLift`.
            let xs = try numberArgs(n, b.name, flatten: true)
            guard var best = xs.first else { throw EvalError(message: "\(b.name)() of an empty list", span: n.span) }
            for x in xs.dropFirst() where b == .min ? x.0 < best.0 : x.0 > best.0 { best = x }
            return .number(best.0, xs[0].1)
        case .sum, .avg:
            let v = try eval(extra[Int(n.b)])
            guard case .list = v else { throw EvalError(message: "\(b.name)() needs a list, got \(describeOperand(v, extra[Int(n.b)]))", span: n.span) }
            let xs = try numberArgs(n, b.name, flatten: true)
            if xs.isEmpty {
                if b == .sum { return .number(0) }
                throw EvalError(message: "avg() of an empty list", span: n.span)
            }
            var s = 0.0
            for x in xs { s += x.0 }
            return try finite(b == .sum ? s : s / Double(xs.count), xs[0].1, b.name, n.span)
        case .count:
            let v = try eval(extra[Int(n.b)])
            switch v {
            case .list(let l): return .number(Double(l.count))
            case .string(let s):
                // Counting characters (grapheme clusters) is slow work: a step per 2 bytes.
                try charge(s.utf8.count >> 1, n.span)
                return .number(Double(s.count))
            default: throw EvalError(message: "count() needs a list, got \(describeOperand(v, extra[Int(n.b)]))", span: n.span)
            }
        case .abs:
            let (d, u) = try oneNumber(n, 0, "abs")
            return .number(Swift.abs(d), u)
        case .round, .floor, .ceil:
            let (d, u) = try oneNumber(n, 0, b.name)
            var digits = 0.0
            if extra.childCount(n) == 2 {
                let (g, gu) = try oneNumber(n, 1, b.name)
                guard gu.isDimensionless, g == g.rounded(), g >= -15, g <= 15 else {
                    throw EvalError(message: "round() digits must be a whole number from -15 to 15", span: n.span)
                }
                digits = g
            }
            let scale = pow(10.0, digits)
            let unitScale = NumberFormat.displayScale(d, u)
            let shown = d / unitScale * scale
            let r: Double
            switch b {
            case .floor: r = shown.rounded(.down)
            case .ceil: r = shown.rounded(.up)
            default: r = shown.rounded(.toNearestOrAwayFromZero)
            }
            return try finite(r / scale * unitScale, u, b.name, n.span)
        case .sqrt:
            let (d, u) = try oneNumber(n, 0, "sqrt")
            guard d >= 0 else { throw EvalError(message: "sqrt of a negative number", span: n.span) }
            guard u.time % 2 == 0, u.money % 2 == 0 else {
                throw EvalError(message: "unit mismatch: sqrt of \(u.nameForMessages) has no unit", span: n.span, kind: .compile)
            }
            let nu = u.isDimensionless ? NumberUnit(display: u.display == .percent ? .plain : u.display)
                : NumberUnit(time: u.time / 2, money: u.money / 2,
                             display: u.display.isTime && u.money == 0 ? u.display : .plain)
            return .number(d.squareRoot(), nu)
        case .exp, .ln, .log10:
            let (d, u) = try oneNumber(n, 0, b.name)
            guard u.isDimensionless else {
                throw EvalError(message: "unit mismatch: \(b.name)() needs a plain number, not \(u.nameForMessages)", span: n.span, kind: .compile)
            }
            if b != .exp && d <= 0 {
                throw EvalError(message: "\(b.name) of a non-positive number", span: n.span)
            }
            let r = b == .exp ? exp(d) : b == .ln ? log(d) : log10(d)
            return try finite(r, .plain, b.name, n.span)
        case .cumsum, .delay, .lookup, .at:
            return try callTimeBuiltin(b, n, -1)
        case .clamp:
            let (x, ux) = try oneNumber(n, 0, "clamp")
            let (lo, ul) = try oneNumber(n, 1, "clamp")
            let (hi, uh) = try oneNumber(n, 2, "clamp")
            guard ux.sameDimension(ul), ux.sameDimension(uh) else {
                throw EvalError(message: "unit mismatch in clamp(): \(ux.nameForMessages), \(ul.nameForMessages) and \(uh.nameForMessages)", span: n.span, kind: .compile)
            }
            guard lo <= hi else { throw EvalError(message: "clamp() needs lo <= hi", span: n.span) }
            return .number(Swift.min(Swift.max(x, lo), hi), ux)
        case .normal, .uniform, .triangular, .pert, .beta, .bernoulli, .mixture, .mean, .sd, .median, .percentile, .P:
            throw EvalError(message: "internal: \(b.name)() is evaluated by distributionBuiltin", span: n.span)
        }
    }
}


enum StackGuard {
    /// Per-thread cache of ``limit()``: measuring the main thread's stack reads
    /// /proc/self/maps, too slow for every parse.
    private static let cacheKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { p in free(p) }
        return key
    }()

    /// The current thread's lowest stack address, and the lowest address it may use,
    /// leaving a safety margin.
    static func limit() -> (base: UInt, limit: UInt) {
        if let p = pthread_getspecific(cacheKey) {
            let b = p.assumingMemoryBound(to: UInt.self)
            return (b[0], b[1])
        }
        let bounds = measure()
        if let p = malloc(2 * MemoryLayout<UInt>.size) {
            let b = p.assumingMemoryBound(to: UInt.self)
            (b[0], b[1]) = bounds
            pthread_setspecific(cacheKey, p)
        }
        return bounds
    }

    private static func measure() -> (base: UInt, limit: UInt) {
        guard let (low, size) = currentThreadStack() else { return (0, 0) }
        // Keep a quarter of the stack (at most 384 KiB, at least 64 KiB) in reserve.
        // Callers check at least every few frames, so a few hundred KiB covers what runs
        // past the last check, even with debug builds' large frames.
        let margin = UInt(max(64 << 10, min(384 << 10, size / 4)))
        return (low, low + margin)
    }
}

/// Working memory for compiled cell code, freed with the evaluator.
final class Scratch {
    static let size = 72
    let stack = UnsafeMutablePointer<Double>.allocate(capacity: size)
    /// A compiled cell's input values, and a table pointing at each (the projection
    /// interpreter's `prev` reads `table[i][t - 1]`).
    let inputs = UnsafeMutablePointer<Double>.allocate(capacity: size)
    let table = UnsafeMutablePointer<UnsafeMutablePointer<Double>>.allocate(capacity: size)

    init() {
        for i in 0..<Self.size { table[i] = inputs + i }
    }

    deinit {
        stack.deallocate()
        inputs.deallocate()
        table.deallocate()
    }
}
