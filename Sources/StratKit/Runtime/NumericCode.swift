#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A projection's `next:` formula compiled to a flat program over unboxed doubles.
///
/// Units are checked once, symbolically, when compiling: the cells a formula reads do not
/// change while a projection steps, so they are folded to constants. Anything the fast
/// path cannot prove (a unit mismatch, a non-number, an unsupported construct) makes
/// `compile` return nil and the projection uses the general evaluator. A step that divides
/// by zero or produces a non-finite value is re-run through the general evaluator so the
/// diagnostic points at the exact expression.
struct NumericCode {
    enum Code: UInt8 {
        case const_, value, t, prev, neg, add, sub, mul, div, pow, min, max, abs, sqrt, exp, ln, log10
        // With a constant right operand (`a` indexes `consts`).
        case addK, subK, mulK, divK
        // With a constant left operand: k - x, k / x.
        case rsubK, rdivK
        // `value` or `t` pushed and combined with a constant at once (`value * k`, `t / k`).
        case valueAddK, valueSubK, valueMulK, valueDivK, valueRsubK, valueRdivK
        case tAddK, tSubK, tMulK, tDivK, tRsubK, tRdivK
    }

    struct Op {
        var code: Code
        var a: Int32
    }

    var ops: [Op] = []
    var consts: [Double] = []
    var maxDepth = 0
    /// Operations as emitted, before fusing: what a step counts against `maxSteps`.
    var stepCost = 0
    /// The unit of the result.
    var unit = NumberUnit.plain
    /// With `readsCells`, cells become inputs (`prev` reads input `a`) guarded by the
    /// unit they had when compiling; otherwise they fold to constants (projections).
    var readsCells = false
    var inputs: [Int32] = []
    var inputUnits: [NumberUnit] = []

    /// Compiles a cell's formula for recomputation (what-ifs, recalculation).
    static func compileCell(_ node: Int32, _ ev: inout Evaluator) -> NumericCode? {
        var code = NumericCode()
        code.readsCells = true
        var depth = 0
        guard let u = code.emit(node, &ev, .plain, &depth, nesting: 0), code.ops.count <= 64,
              code.consts.allSatisfy(\.isFinite) else { return nil }
        code.unit = u
        return code
    }

    /// Runs a compiled cell formula; nil when an input is not a number of the compiled
    /// unit or a step needs the general evaluator. Inputs are gathered into the scratch
    /// buffer and read through the same interpreter as projection steps (`prev` of input
    /// i at t = 1 reads `inputs[i][0]`).
    func runCell(_ ev: inout Evaluator, _ scratch: Scratch) -> Double? {
        for (i, c) in inputs.enumerated() {
            let k = Int(c)
            guard ev.state[k] == .ok, case .number(let d, let u) = ev.values[k], u == inputUnits[i], d.isFinite else { return nil }
            scratch.inputs[i] = d
        }
        return ops.withUnsafeBufferPointer { code in
            consts.withUnsafeBufferPointer { ks in
                Self.run(code, ks.baseAddress ?? UnsafePointer(scratch.stack), value: 0, t: 1,
                         series: scratch.table, stack: scratch.stack)
            }
        }
    }

    /// Compiles a projection's `next:` (cells fold to constants), or returns nil when the
    /// general evaluator must be used.
    static func compile(_ node: Int32, _ ev: inout Evaluator, valueUnit: NumberUnit) -> NumericCode? {
        var code = NumericCode()
        var depth = 0
        // `run` relies on finite constants (it checks only where a non-finite value could vanish).
        guard let u = code.emit(node, &ev, valueUnit, &depth, nesting: 0), code.consts.allSatisfy(\.isFinite) else { return nil }
        code.unit = u
        code.fuseLeaves()
        return code
    }

    /// Fuses a pushed `value` or `t` with the constant operation right after it: one
    /// dispatch instead of two in a loop that runs once per period.
    private mutating func fuseLeaves() {
        stepCost = ops.count
        var out: [Op] = []
        out.reserveCapacity(ops.count)
        var i = 0
        while i < ops.count {
            if i + 1 < ops.count, let f = Self.fused(ops[i].code, ops[i + 1].code) {
                out.append(Op(code: f, a: ops[i + 1].a))
                i += 2
            } else {
                out.append(ops[i])
                i += 1
            }
        }
        ops = out
    }

    private static func fused(_ leaf: Code, _ op: Code) -> Code? {
        switch (leaf, op) {
        case (.value, .addK): return .valueAddK
        case (.value, .subK): return .valueSubK
        case (.value, .mulK): return .valueMulK
        case (.value, .divK): return .valueDivK
        case (.value, .rsubK): return .valueRsubK
        case (.value, .rdivK): return .valueRdivK
        case (.t, .addK): return .tAddK
        case (.t, .subK): return .tSubK
        case (.t, .mulK): return .tMulK
        case (.t, .divK): return .tDivK
        case (.t, .rsubK): return .tRsubK
        case (.t, .rdivK): return .tRdivK
        default: return nil
        }
    }

    private mutating func push(_ c: Code, _ a: Int32 = 0, _ depth: inout Int, _ delta: Int) {
        ops.append(Op(code: c, a: a))
        depth += delta
        maxDepth = Swift.max(maxDepth, depth)
    }

    /// Emits a binary operation, folding two constants or fusing a constant right operand.
    /// Position of a binary operation's left operand when it is a lone constant (-1 if not).
    private var leftConstant = -1

    private mutating func fuse(_ c: Code, _ depth: inout Int) {
        let k = ops.count
        let rightIsConstant = k >= 1 && ops[k - 1].code == .const_ && leftConstant != k - 1
        // `k - x`, `k / x`, `k + x`, `k * x` with a computed x: drop the constant's push and
        // apply it from the instruction (commutative ops reuse addK/mulK).
        if leftConstant >= 0 && !(rightIsConstant && leftConstant == k - 2) {
            let a = ops[leftConstant].a
            ops.remove(at: leftConstant)
            let code: Code
            switch c {
            case .add: code = .addK
            case .mul: code = .mulK
            case .sub: code = .rsubK
            default: code = .rdivK
            }
            ops.append(Op(code: code, a: a))
            leftConstant = -1
            depth -= 1
            return
        }
        leftConstant = -1
        if k >= 2, ops[k - 1].code == .const_, ops[k - 2].code == .const_ {
            let x = consts[Int(ops[k - 2].a)], y = consts[Int(ops[k - 1].a)]
            let r: Double
            switch c {
            case .add: r = x + y
            case .sub: r = x - y
            case .mul: r = x * y
            default: r = x / y
            }
            if r.isFinite {
                ops.removeLast()
                consts.append(r)
                ops[k - 2] = Op(code: .const_, a: Int32(consts.count - 1))
                depth -= 1
                return
            }
        }
        if k >= 1, ops[k - 1].code == .const_ {
            let a = ops[k - 1].a
            ops[k - 1] = Op(code: c == .add ? .addK : c == .sub ? .subK : c == .mul ? .mulK : .divK, a: a)
            depth -= 1
            return
        }
        push(c, 0, &depth, -1)
    }

    private mutating func emit(_ i: Int32, _ ev: inout Evaluator, _ vu: NumberUnit, _ depth: inout Int, nesting: Int) -> NumberUnit? {
        if nesting > 64 { return nil }
        let n = ev.nodes[Int(i)]
        switch n.kind {
        case .number:
            guard case .number(let d, let u) = n.numberValue(ev.constants), !u.isDate else { return nil }
            consts.append(d)
            push(.const_, Int32(consts.count - 1), &depth, 1)
            return u
        case .cell:
            guard ev.state[Int(n.a)] == .ok, case .number(let d, let u) = ev.values[Int(n.a)], !u.isDate else { return nil }
            if readsCells {
                inputs.append(n.a)
                inputUnits.append(u)
                push(.prev, Int32(inputs.count - 1), &depth, 1)
                return u
            }
            consts.append(d)
            push(.const_, Int32(consts.count - 1), &depth, 1)
            return u
        case .projValue:
            if readsCells { return nil }
            push(.value, 0, &depth, 1)
            return vu
        case .projT:
            if readsCells { return nil }
            push(.t, 0, &depth, 1)
            return .plain
        case .projPrev:
            if readsCells || n.b != 1 { return nil }
            push(.prev, n.a, &depth, 1)
            return ev.projUnits[Int(n.a)]
        case .neg:
            guard let u = emit(n.a, &ev, vu, &depth, nesting: nesting + 1) else { return nil }
            push(.neg, 0, &depth, 0)
            return u
        case .binary:
            guard let op = BinaryOp(rawValue: n.op) else { return nil }
            let leftStart = ops.count
            guard let l = emit(n.a, &ev, vu, &depth, nesting: nesting + 1) else { return nil }
            let leftIsConstant = ops.count == leftStart + 1 && ops[leftStart].code == .const_
            guard let r = emit(n.b, &ev, vu, &depth, nesting: nesting + 1) else { return nil }
            leftConstant = leftIsConstant ? leftStart : -1
            switch op {
            case .add, .sub:
                guard l.sameDimension(r) else { return nil }
                fuse(op == .add ? .add : .sub, &depth)
                return l
            case .mul:
                guard NumberUnit.exponentsFit(Int(l.time) + Int(r.time), Int(l.money) + Int(r.money)) else { return nil }
                fuse(.mul, &depth)
                return (l.display == .plain && r.display == .plain && l.isDimensionless && r.isDimensionless) ? l : NumberUnit.product(l, r)
            case .div:
                if let last = ops.last, last.code == .const_, consts[Int(last.a)] == 0 { return nil }
                guard NumberUnit.exponentsFit(Int(l.time) - Int(r.time), Int(l.money) - Int(r.money)) else { return nil }
                fuse(.div, &depth)
                return (l.display == .plain && r.display == .plain && l.isDimensionless && r.isDimensionless) ? l : NumberUnit.quotient(l, r)
            case .pow:
                guard l.isDimensionless, r.isDimensionless else { return nil }
                push(.pow, 0, &depth, -1)
                return l.display == .percent ? .plain : l
            default:
                return nil
            }
        case .builtin:
            guard let b = Builtin(rawValue: n.a) else { return nil }
            switch b {
            case .min, .max:
                guard ev.extra.childCount(n) == 2 else { return nil }
                guard let l = emit(ev.extra[Int(n.b)], &ev, vu, &depth, nesting: nesting + 1),
                      let r = emit(ev.extra[Int(n.b) + 1], &ev, vu, &depth, nesting: nesting + 1), l.sameDimension(r) else { return nil }
                push(b == .min ? .min : .max, 0, &depth, -1)
                return l
            case .abs:
                guard let u = emit(ev.extra[Int(n.b)], &ev, vu, &depth, nesting: nesting + 1) else { return nil }
                push(.abs, 0, &depth, 0)
                return u
            case .sqrt, .exp, .ln, .log10:
                guard let u = emit(ev.extra[Int(n.b)], &ev, vu, &depth, nesting: nesting + 1), u.isDimensionless else { return nil }
                let c: Code = b == .sqrt ? .sqrt : b == .exp ? .exp : b == .ln ? .ln : .log10
                push(c, 0, &depth, 0)
                return b == .sqrt && u.display != .percent ? u : .plain
            default:
                return nil
            }
        default:
            return nil
        }
    }

    /// Runs the program; nil when a step needs the general evaluator (division by zero,
    /// a domain error, a non-finite intermediate).
    ///
    /// The top of the stack lives in a register (`acc`), the rest in `stack`. SPEC §2 makes
    /// a non-finite intermediate an error even when a later step would hide it
    /// (`min(exp(1000), 1)`), but only some operations can turn a non-finite operand into
    /// a finite result (`k / x`, `x / y`, `min`, `max`, `pow`, `exp`); every other one
    /// keeps it non-finite (±inf or NaN). So the operands of those few are checked, and
    /// the result: a non-finite value anywhere is still caught, without a test per
    /// operation. (Pushed operands are finite: constants are checked when compiling.)
    @inline(__always)
    static func run(_ code: UnsafeBufferPointer<Op>, _ k: UnsafePointer<Double>, value: Double, t: Int,
                    series: UnsafePointer<UnsafeMutablePointer<Double>>, stack: UnsafeMutablePointer<Double>) -> Double? {
        var sp = 0
        var acc = 0.0
        let td = Double(t)
        for op in code {
            switch op.code {
            case .const_: stack[sp] = acc; sp &+= 1; acc = k[Int(op.a)]
            case .value: stack[sp] = acc; sp &+= 1; acc = value
            case .t: stack[sp] = acc; sp &+= 1; acc = td
            case .prev: stack[sp] = acc; sp &+= 1; acc = series[Int(op.a)][t &- 1]
            case .neg: acc = -acc
            case .add: sp &-= 1; acc = stack[sp] + acc
            case .sub: sp &-= 1; acc = stack[sp] - acc
            case .mul: sp &-= 1; acc = stack[sp] * acc
            case .div:
                sp &-= 1
                let x = stack[sp]
                if acc == 0 || !x.isFinite || !acc.isFinite { return nil }
                acc = x / acc
            case .addK: acc += k[Int(op.a)]
            case .subK: acc -= k[Int(op.a)]
            case .mulK: acc *= k[Int(op.a)]
            case .divK: acc /= k[Int(op.a)]
            case .rsubK: acc = k[Int(op.a)] - acc
            case .rdivK:
                if acc == 0 || !acc.isFinite { return nil }
                acc = k[Int(op.a)] / acc
            // Fused pushes: the pushed operand is finite, so only a zero divisor needs a check.
            case .valueAddK: stack[sp] = acc; sp &+= 1; acc = value + k[Int(op.a)]
            case .valueSubK: stack[sp] = acc; sp &+= 1; acc = value - k[Int(op.a)]
            case .valueMulK: stack[sp] = acc; sp &+= 1; acc = value * k[Int(op.a)]
            case .valueDivK: stack[sp] = acc; sp &+= 1; acc = value / k[Int(op.a)]
            case .valueRsubK: stack[sp] = acc; sp &+= 1; acc = k[Int(op.a)] - value
            case .valueRdivK:
                if value == 0 { return nil }
                stack[sp] = acc; sp &+= 1; acc = k[Int(op.a)] / value
            case .tAddK: stack[sp] = acc; sp &+= 1; acc = td + k[Int(op.a)]
            case .tSubK: stack[sp] = acc; sp &+= 1; acc = td - k[Int(op.a)]
            case .tMulK: stack[sp] = acc; sp &+= 1; acc = td * k[Int(op.a)]
            case .tDivK: stack[sp] = acc; sp &+= 1; acc = td / k[Int(op.a)]
            case .tRsubK: stack[sp] = acc; sp &+= 1; acc = k[Int(op.a)] - td
            case .tRdivK:
                if td == 0 { return nil }
                stack[sp] = acc; sp &+= 1; acc = k[Int(op.a)] / td
            case .pow:
                sp &-= 1
                let x = stack[sp]
                if !x.isFinite || !acc.isFinite { return nil }
                acc = CMath.pow(x, acc)
            case .min:
                sp &-= 1
                let x = stack[sp]
                if !x.isFinite || !acc.isFinite { return nil }
                // min(l, r) is r when r < l, else l (so min(0, -0) is 0, as before).
                if !(acc < x) { acc = x }
            case .max:
                sp &-= 1
                let x = stack[sp]
                if !x.isFinite || !acc.isFinite { return nil }
                if !(acc > x) { acc = x }
            case .abs: acc = Swift.abs(acc)
            case .sqrt:
                if acc < 0 { return nil }
                acc = acc.squareRoot()
            case .exp:
                if !acc.isFinite { return nil }
                acc = CMath.exp(acc)
            case .ln:
                if acc <= 0 { return nil }
                acc = CMath.log(acc)
            case .log10:
                if acc <= 0 { return nil }
                acc = CMath.log10(acc)
            }
        }
        return acc.isFinite ? acc : nil
    }
}
