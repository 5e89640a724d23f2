"""The TextMate grammar (editors/strat.tmLanguage.json): valid JSON, every regex compiles,
and a small scanner that applies its patterns as TextMate does (earliest match, then
pattern order; begin/end regions) gives the expected scopes on sample lines.

The grammar's regexes use only syntax that Oniguruma and Python's `re` read alike.
"""

import json
import pathlib
import re

EDITORS = pathlib.Path(__file__).resolve().parents[2] / "editors"
GRAMMAR = json.loads((EDITORS / "strat.tmLanguage.json").read_text())


def rules(patterns):
    """Expands includes into a flat list of rules (match or begin/end)."""
    out = []
    for p in patterns:
        if "include" in p:
            out.extend(rules([GRAMMAR["repository"][p["include"][1:]]]))
        elif "match" in p or "begin" in p:
            out.append(p)
        elif "patterns" in p:
            out.extend(rules(p["patterns"]))
    return out


def scan(text, patterns, end=None, pos=0, scopes=()):
    """Tokens (text, scopes) of `text` from `pos` until `end` matches; returns (tokens, pos)."""
    toks = []
    rs = rules(patterns)
    while pos < len(text):
        best = None
        e = re.compile(end).search(text, pos) if end else None
        for r in rs:
            m = re.compile(r.get("match") or r["begin"], re.M).search(text, pos)
            if m and (best is None or m.start() < best[1].start()):
                best = (r, m)
        if e and (best is None or e.start() <= best[1].start()):
            if e.start() > pos:
                toks.append((text[pos:e.start()], scopes))
            return toks, e.end(), e
        if best is None:
            toks.append((text[pos:], scopes))
            return toks, len(text), None
        r, m = best
        if m.start() > pos:
            toks.append((text[pos:m.start()], scopes))
        name = (r["name"],) if "name" in r else ()
        if "match" in r:
            caps = r.get("captures", {})
            if caps:
                for k, c in sorted(caps.items(), key=lambda kv: m.start(int(kv[0]))):
                    if m.group(int(k)) is not None:
                        toks.append((m.group(int(k)), scopes + name + (c["name"],)))
            else:
                toks.append((m.group(0), scopes + name))
            pos = max(m.end(), pos + 1)
        else:
            toks.append((m.group(0), scopes + name))
            inner, pos, _ = scan(text, r.get("patterns", []), r["end"], m.end(), scopes + name)
            toks.extend(inner)
            toks.append(("<end>", scopes + name))
    return toks, pos, None


def scope_of(line, piece):
    toks, _, _ = scan(line, GRAMMAR["patterns"])
    for t, s in toks:
        if t == piece:
            return s
    raise AssertionError(f"{piece!r} is not one token of {line!r}: {toks}")


def test_grammar_is_valid_json_with_compilable_regexes():
    assert GRAMMAR["scopeName"] == "source.strat"
    count = 0

    def walk(node):
        nonlocal count
        if isinstance(node, dict):
            for k in ("match", "begin", "end"):
                if k in node:
                    re.compile(node[k])
                    count += 1
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(GRAMMAR)
    assert count > 20
    json.loads((EDITORS / "language-configuration.json").read_text())
    pkg = json.loads((EDITORS / "package.json").read_text())
    assert pkg["contributes"]["grammars"][0]["path"] == "./strat.tmLanguage.json"


def test_sample_lines_get_the_expected_scopes():
    assert "keyword.declaration.strat" in scope_of("let churn = 3.8%", "let")
    assert "entity.name.strat" in scope_of("let churn = 3.8%", "churn")
    assert "constant.numeric.strat" in scope_of("let churn = 3.8%", "3.8")
    assert "keyword.other.unit.strat" in scope_of("let churn = 3.8%", "%")
    assert "keyword.other.unit.strat" in scope_of("let members = 262M", "M")
    assert "keyword.other.unit.strat" in scope_of("let t = 45min + 100ms", "min")
    assert "constant.numeric.money.strat" in scope_of("let arpu = $11.70", "$11.70")
    assert "constant.numeric.date.strat" in scope_of("plan { from: 2026-03-31 }", "2026-03-31")
    assert "comment.line.double-slash.strat" in scope_of("let a = 1  // the input", "// the input")
    assert "comment.block.strat" in scope_of("/* a /* nested */ block */ let a = 1", " block ")
    assert "keyword.control.strat" in scope_of("let x = if a then 1 else 2", "then")
    assert "constant.language.strat" in scope_of("let x = none", "none")
    assert "variable.other.property.strat" in scope_of("  baseline: 120ms, target: 78ms", "baseline")
    s = 'print "subscribers: \\(subscribers.final) in total"'
    assert "string.quoted.double.strat" in scope_of(s, "subscribers: ")
    inner = scope_of(s, "final")
    assert "meta.interpolation.strat" in inner and "variable.other.member.strat" in inner
    assert "constant.character.escape.strat" in scope_of('print "a\\tb"', "\\t")
    assert "entity.name.function.call.strat" in scope_of("let g = cagr($1, $2, 3)", "cagr")
