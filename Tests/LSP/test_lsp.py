"""End-to-end tests of `strat lsp` through a real LSP client (pytest-lsp on pygls).

Run by `make test` (`make test-lsp`) from the venv .venv-test/; STRAT_BIN names the binary.
"""

import asyncio
import json
import os
import pathlib
import subprocess
import time

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

ROOT = pathlib.Path(__file__).resolve().parents[2]
STRAT = os.environ.get("STRAT_BIN", str(ROOT / ".build" / "debug" / "strat"))
NETFLIX = ROOT / "examples" / "netflix-engineering.strat"


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[STRAT, "lsp"]))
async def client(lsp_client: LanguageClient):
    lsp_client.init_result = await lsp_client.initialize_session(
        types.InitializeParams(capabilities=client_capabilities("visual-studio-code"))
    )
    yield
    await lsp_client.shutdown_session()


# ---------------------------------------------------------------------------------------
# helpers


def uri_of(path: pathlib.Path) -> str:
    return path.resolve().as_uri()


def utf16(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def pos(text: str, needle: str, offset: int = 0, occurrence: int = 0) -> types.Position:
    """The LSP position of `needle` (its `occurrence`-th match) plus `offset` characters."""
    at = -1
    for _ in range(occurrence + 1):
        at = text.index(needle, at + 1)
    at += offset
    line = text.count("\n", 0, at)
    col = utf16(text[text.rfind("\n", 0, at) + 1 : at])
    return types.Position(line=line, character=col)


async def wait_diagnostics(client, uri, pred=lambda d: True, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if uri in client.diagnostics and pred(list(client.diagnostics[uri])):
            return list(client.diagnostics[uri])
        await asyncio.sleep(0.01)
    raise AssertionError(f"no matching diagnostics for {uri}: {client.diagnostics.get(uri)}")


def open_doc(client, path: pathlib.Path, text: str, version: int = 1) -> str:
    uri = uri_of(path)
    client.diagnostics.pop(uri, None)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="strat", version=version, text=text)
        )
    )
    return uri


def change_doc(client, uri: str, version: int, text: str, rng: types.Range | None = None):
    client.diagnostics.pop(uri, None)
    change = (
        types.TextDocumentContentChangePartial(range=rng, text=text)
        if rng
        else types.TextDocumentContentChangeWholeDocument(text=text)
    )
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[change],
        )
    )


def doc_id(uri):
    return types.TextDocumentIdentifier(uri=uri)


def hover_text(h) -> str:
    assert h is not None
    return h.contents.value


MODEL = """\
// Inputs.
let churn = 3.8%            // monthly churn
let members = 262M * (1 - churn)
let margin = round(40.55%, 1)

swot Eng "Engineering" {
  strength PLATFORM "Streaming architecture" { weight: 0.6, rating: 4 }
  weakness TESTING "QA coverage" { weight: 0.4, rating: 2 }
  priority MODERNIZE "Modernize"
}

objective MODERNIZE_PLATFORM "World-class streaming" {
  supports: [Eng.priorities.MODERNIZE]
  kr LATENCY "Cut latency" {
    baseline: 120ms, target: baseline * (1 - 35%), current: 101ms
  }
}

scenario low_churn "Churn improves" { churn = 3.2% }
"""


# ---------------------------------------------------------------------------------------
# lifecycle and diagnostics


async def test_initialize_advertises_the_features(client: LanguageClient):
    # The session was initialized by the fixture; ask again to see the capabilities.
    with pytest.raises(JsonRpcException):
        await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities()))


async def test_diagnostics_appear_with_ranges_and_hints_and_clear(client: LanguageClient, tmp_path):
    bad = 'let s = "😀 \\(chrun)"\nlet churn = 3%\n'
    uri = open_doc(client, tmp_path / "a.strat", bad)
    diags = await wait_diagnostics(client, uri, lambda d: len(d) > 0)
    d = diags[0]
    assert "unknown name 'chrun'" in d.message
    assert "did you mean 'churn'?" in d.message
    assert d.severity == types.DiagnosticSeverity.Error
    # UTF-16 columns: the emoji counts two units.
    start = utf16('let s = "😀 \\(')
    assert d.range.start == types.Position(line=0, character=start)
    assert d.range.end == types.Position(line=0, character=start + 5)
    change_doc(client, uri, 2, 'let s = "😀 \\(churn)"\nlet churn = 3%\n')
    assert await wait_diagnostics(client, uri) == []


async def test_did_you_mean_is_a_quick_fix(client: LanguageClient, tmp_path):
    text = "let churn = 3%\nlet m = 100 * chrun\n"
    uri = open_doc(client, tmp_path / "q.strat", text)
    diags = await wait_diagnostics(client, uri, lambda d: len(d) > 0)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(text_document=doc_id(uri), range=diags[0].range,
                               context=types.CodeActionContext(diagnostics=diags))
    )
    assert len(actions) == 1 and actions[0].title == "Change to 'churn'"
    edit = actions[0].edit.changes[uri][0]
    assert edit.new_text == "churn" and edit.range == types.Range(start=pos(text, "chrun"), end=pos(text, "chrun", 5))


async def test_document_highlight(client: LanguageClient, tmp_path):
    uri = open_doc(client, tmp_path / "m.strat", MODEL)
    hl = await client.text_document_document_highlight_async(
        types.DocumentHighlightParams(text_document=doc_id(uri), position=pos(MODEL, "let churn", 5))
    )
    assert sorted((h.range.start.line, h.kind) for h in hl) == [
        (1, types.DocumentHighlightKind.Write), (2, types.DocumentHighlightKind.Read), (18, types.DocumentHighlightKind.Read)]


async def test_incremental_change_and_runtime_and_assert_diagnostics(client: LanguageClient, tmp_path):
    text = "let a = 10\nlet b = a / 2\nassert b > 1 \"b too small\"\n"
    uri = open_doc(client, tmp_path / "b.strat", text)
    assert await wait_diagnostics(client, uri) == []
    # Replace `2` by `0` with a ranged edit: a runtime error appears.
    change_doc(client, uri, 2, "0", types.Range(start=pos(text, "2"), end=pos(text, "2", 1)))
    diags = await wait_diagnostics(client, uri, lambda d: len(d) > 0)
    assert any("division by zero" in d.message for d in diags), [d.message for d in diags]
    # `a / 20` makes b 0.5: the assert fails, shown on its condition.
    change_doc(client, uri, 3, "20", types.Range(start=pos(text, "2"), end=pos(text, "2", 1)))
    diags = await wait_diagnostics(client, uri, lambda d: len(d) > 0 and "assert" in d[0].message)
    assert "b too small" in diags[0].message
    assert diags[0].range.start.line == 2


async def test_netflix_model_is_clean(client: LanguageClient):
    uri = open_doc(client, NETFLIX, NETFLIX.read_text())
    assert await wait_diagnostics(client, uri) == []


# ---------------------------------------------------------------------------------------
# hover, definition, references, rename


async def test_hover_shows_value_formula_doc_and_scores(client: LanguageClient, tmp_path):
    uri = open_doc(client, tmp_path / "m.strat", MODEL)
    await wait_diagnostics(client, uri, lambda d: d == [])
    h = await client.text_document_hover_async(types.HoverParams(text_document=doc_id(uri), position=pos(MODEL, "members", 1)))
    text = hover_text(h)
    assert "let members" in text
    assert "252.044M" in text  # 262M * (1 - 3.8%), with its unit
    assert "262M * (1 - churn)" in text
    h = await client.text_document_hover_async(types.HoverParams(text_document=doc_id(uri), position=pos(MODEL, "churn", 1)))
    assert "monthly churn" in hover_text(h)  # the declaration's comment
    h = await client.text_document_hover_async(types.HoverParams(text_document=doc_id(uri), position=pos(MODEL, "LATENCY", 2)))
    text = hover_text(h)
    assert "kr MODERNIZE_PLATFORM.LATENCY" in text
    # (101 - 120) / (78 - 120) = 0.4523809524, yellow.
    assert "score: `0.4523809524`" in text and "status: `yellow`" in text
    h = await client.text_document_hover_async(types.HoverParams(text_document=doc_id(uri), position=pos(MODEL, "round", 1)))
    assert "round(x, digits)" in hover_text(h)
    # A computed member in a path: its value and its rule.
    text = MODEL + "let s = MODERNIZE_PLATFORM.LATENCY.score\nassert plan.score > 0\n"
    change_doc(client, uri, 2, text)
    h = await client.text_document_hover_async(types.HoverParams(text_document=doc_id(uri), position=pos(text, "score\n", 1)))
    t = hover_text(h)
    assert "MODERNIZE_PLATFORM.LATENCY.score" in t and "0.4523809524" in t and "clamp(progress, 0, 1)" in t
    h = await client.text_document_hover_async(types.HoverParams(text_document=doc_id(uri), position=pos(text, "plan.", 1)))
    assert "score: `0.4523809524`" in hover_text(h) and "status: `yellow`" in hover_text(h)


async def test_hover_code_shows_backticks_and_multi_line_formulas_as_written(client: LanguageClient, tmp_path):
    # A value holding a backtick keeps its inline code whole; a formula written over
    # several lines (a blank one among them) is one line of code.
    text = 'let s = "a`b"\nlet m = (1 +\n\n  2)\n'
    uri = open_doc(client, tmp_path / "b.strat", text)
    await wait_diagnostics(client, uri, lambda d: d == [])
    h = await client.text_document_hover_async(types.HoverParams(text_document=doc_id(uri), position=pos(text, "s =", 0)))
    assert "value: ``a`b``" in hover_text(h), hover_text(h)
    h = await client.text_document_hover_async(types.HoverParams(text_document=doc_id(uri), position=pos(text, "m =", 0)))
    t = hover_text(h)
    assert "value: `3`" in t and "formula: `1 + 2`" in t, t


async def test_hover_on_stdlib_function_shows_its_doc_comment(client: LanguageClient, tmp_path):
    text = "use finance\nlet g = cagr($100M, $121M, 2)\n"
    uri = open_doc(client, tmp_path / "f.strat", text)
    await wait_diagnostics(client, uri, lambda d: d == [])
    h = await client.text_document_hover_async(types.HoverParams(text_document=doc_id(uri), position=pos(text, "cagr", 1)))
    t = hover_text(h)
    assert "fn cagr(start, end, periods)" in t
    assert "compound growth rate" in t


async def test_definition_in_file_and_across_an_import(client: LanguageClient, tmp_path):
    lib = tmp_path / "lib.strat"
    lib.write_text("// The base rate.\nlet base = 10%\n")
    main_text = 'import "lib.strat"\nlet y = base * 2\nlet z = y + 1\n'
    uri = open_doc(client, tmp_path / "main.strat", main_text)
    await wait_diagnostics(client, uri, lambda d: d == [])
    locs = await client.text_document_definition_async(
        types.DefinitionParams(text_document=doc_id(uri), position=pos(main_text, "y + 1"))
    )
    loc = locs[0] if isinstance(locs, list) else locs
    assert loc.uri == uri
    assert loc.range.start == types.Position(line=1, character=4)
    locs = await client.text_document_definition_async(
        types.DefinitionParams(text_document=doc_id(uri), position=pos(main_text, "base", 1))
    )
    loc = locs[0] if isinstance(locs, list) else locs
    assert loc.uri == uri_of(lib)
    assert loc.range == types.Range(start=types.Position(line=1, character=4), end=types.Position(line=1, character=8))
    h = await client.text_document_hover_async(types.HoverParams(text_document=doc_id(uri), position=pos(main_text, "y =")))
    assert "20%" in hover_text(h)


async def test_rename_across_an_import(client: LanguageClient, tmp_path):
    lib = tmp_path / "lib.strat"
    lib.write_text("let base = 10%\nlet twice = base * 2\n")
    main_text = 'import "lib.strat"\nlet y = base * 2 + twice\n'
    uri = open_doc(client, tmp_path / "main.strat", main_text)
    await wait_diagnostics(client, uri, lambda d: d == [])
    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=doc_id(uri), position=pos(main_text, "base"), new_name="rate")
    )
    assert sorted(edit.changes) == sorted([uri, uri_of(lib)])
    assert [(e.range.start.line, e.range.start.character) for e in edit.changes[uri_of(lib)]] == [(0, 4), (1, 12)]
    assert [(e.range.start.line, e.range.start.character) for e in edit.changes[uri]] == [(1, 8)]


async def test_open_buffer_wins_and_importers_are_rediagnosed(client: LanguageClient, tmp_path):
    lib = tmp_path / "lib.strat"
    lib.write_text("let base = 10%\n")
    main_text = 'import "lib.strat"\nlet y = base * 2\n'
    uri = open_doc(client, tmp_path / "main.strat", main_text)
    await wait_diagnostics(client, uri, lambda d: d == [])
    # The unsaved buffer of lib.strat, not the file on disk, is what main imports.
    lib_uri = open_doc(client, lib, "let base = 25%\n")
    await wait_diagnostics(client, lib_uri, lambda d: d == [])
    h = await client.text_document_hover_async(types.HoverParams(text_document=doc_id(uri), position=pos(main_text, "y =")))
    assert "50%" in hover_text(h)
    # Renaming base in the library breaks the importer: its diagnostics are re-published.
    client.diagnostics.pop(uri, None)
    change_doc(client, lib_uri, 2, "let rate = 25%\n")
    diags = await wait_diagnostics(client, uri, lambda d: len(d) > 0)
    assert "unknown name 'base'" in diags[0].message
    assert diags[0].range.start.line == 1
    # A problem inside the imported file is shown on the import line of the importer.
    client.diagnostics.pop(uri, None)
    change_doc(client, lib_uri, 3, "let base = 25% +\n")
    diags = await wait_diagnostics(client, uri, lambda d: any("lib.strat:" in x.message for x in d))
    assert [x for x in diags if "lib.strat:" in x.message][0].range.start.line == 0


async def test_references_and_rename(client: LanguageClient, tmp_path):
    uri = open_doc(client, tmp_path / "m.strat", MODEL)
    await wait_diagnostics(client, uri, lambda d: d == [])
    refs = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=doc_id(uri), position=pos(MODEL, "- churn", 3),
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    lines = sorted((r.range.start.line, r.range.start.character) for r in refs)
    # The declaration, its use in members, and the scenario override.
    assert lines == [(1, 4), (2, 26), (18, 38)], lines
    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=doc_id(uri), position=pos(MODEL, "churn", 1), new_name="attrition")
    )
    edits = edit.changes[uri]
    assert len(edits) == 3 and all(e.new_text == "attrition" for e in edits)
    # Applying the edits gives a model that still loads cleanly.
    lines_ = MODEL.split("\n")
    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        ln = lines_[e.range.start.line]
        lines_[e.range.start.line] = ln[: e.range.start.character] + e.new_text + ln[e.range.end.character :]
    renamed = "\n".join(lines_)
    assert "churn" not in renamed.replace("monthly churn", "").replace("low_churn", "")
    assert "let attrition = 3.8%" in renamed and "{ attrition = 3.2% }" in renamed
    change_doc(client, uri, 2, renamed)
    assert await wait_diagnostics(client, uri) == []
    # A KR renamed through a path use.
    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=doc_id(uri), position=pos(renamed, "priority MODERNIZE", 10), new_name="MODERN")
    )
    assert sum(len(v) for v in edit.changes.values()) == 2
    with pytest.raises(JsonRpcException):
        await client.text_document_rename_async(
            types.RenameParams(text_document=doc_id(uri), position=pos(renamed, "LATENCY"), new_name="not a name")
        )
    with pytest.raises(JsonRpcException):  # a built-in property
        await client.text_document_rename_async(
            types.RenameParams(text_document=doc_id(uri), position=pos(renamed, "baseline *", 1), new_name="b0")
        )


# ---------------------------------------------------------------------------------------
# outline, completion, signature help, formatting, inlay hints


async def test_document_symbols_are_an_outline(client: LanguageClient, tmp_path):
    uri = open_doc(client, tmp_path / "m.strat", MODEL)
    syms = await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=doc_id(uri)))
    by_name = {s.name: s for s in syms}
    assert {"churn", "members", "margin", "Eng", "MODERNIZE_PLATFORM", "low_churn"} <= set(by_name)
    assert by_name["Eng"].kind == types.SymbolKind.Class
    assert [c.name for c in by_name["Eng"].children] == ["PLATFORM", "TESTING", "MODERNIZE"]
    obj = by_name["MODERNIZE_PLATFORM"]
    assert [c.name for c in obj.children] == ["LATENCY"]
    assert obj.detail == "World-class streaming"
    assert obj.selection_range.start == types.Position(line=11, character=10)
    assert by_name["low_churn"].kind == types.SymbolKind.Enum


TRACKED = """plan { start: 2026-01-01, end: 2026-12-31 }
import "actuals.csv"
objective O "Grow" {
  kr K "Users" { baseline: 0, target: 100 }
}
checkin 2026-03-31 "Q1 review" {
  O.K = 30
  O.K.confidence = 0.7
}
checkin 2026-06-30 { O.K = 50 }
"""


async def test_document_symbols_list_the_plan_period_and_checkins(client: LanguageClient, tmp_path):
    (tmp_path / "actuals.csv").write_text("date,path,value\n2026-02-28,O.K,20\n")
    uri = open_doc(client, tmp_path / "t.strat", TRACKED)
    await wait_diagnostics(client, uri)
    syms = await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=doc_id(uri)))
    # In source order; the actuals file's rows are not declarations of this document.
    assert [s.name for s in syms] == ["plan", "O", "checkin 2026-03-31", "checkin 2026-06-30"]
    plan, _, q1, h1 = syms
    assert plan.kind == types.SymbolKind.Package and plan.detail == "plan period"
    assert plan.range.start == types.Position(line=0, character=0)
    assert plan.range.end.line == 0
    assert q1.kind == types.SymbolKind.Event and q1.detail == "Q1 review"
    assert q1.selection_range.start == pos(TRACKED, "2026-03-31") and q1.selection_range.end == pos(TRACKED, "2026-03-31", 10)
    assert (q1.range.start.line, q1.range.end.line) == (5, 8)
    assert [(c.name, c.kind) for c in q1.children] == [
        ("O.K", types.SymbolKind.Property),
        ("O.K.confidence", types.SymbolKind.Property),
    ]
    assert q1.children[1].selection_range.start == pos(TRACKED, "O.K.confidence")
    assert h1.detail == "check-in" and [c.name for c in h1.children] == ["O.K"]
    # The outline entries name nothing: completion does not offer them.
    end = types.Position(line=TRACKED.count("\n"), character=0)
    res = await client.text_document_completion_async(types.CompletionParams(text_document=doc_id(uri), position=end))
    assert not [i.label for i in res.items if i.label.startswith("checkin ")]


async def test_completion_names_members_keywords_functions_units(client: LanguageClient, tmp_path):
    uri = open_doc(client, tmp_path / "m.strat", MODEL + "let q = \n")
    await wait_diagnostics(client, uri)
    end = types.Position(line=MODEL.count("\n"), character=8)
    res = await client.text_document_completion_async(types.CompletionParams(text_document=doc_id(uri), position=end))
    items = {i.label: i for i in res.items}
    assert "members" in items and items["members"].kind == types.CompletionItemKind.Variable
    assert "MODERNIZE_PLATFORM" in items and "objective" in items and "if" in items
    assert items["clamp"].detail.startswith("clamp(x, low, high)")
    assert "cagr" in items and "use finance" in items["cagr"].detail
    # Members after a dot.
    text = MODEL + "let q = MODERNIZE_PLATFORM.\n"
    change_doc(client, uri, 2, text)
    res = await client.text_document_completion_async(
        types.CompletionParams(text_document=doc_id(uri), position=types.Position(line=MODEL.count("\n"), character=27))
    )
    labels = [i.label for i in res.items]
    assert "LATENCY" in labels and "score" in labels and "status" in labels
    # Units after a number.
    text = MODEL + "let q = 12m\n"
    change_doc(client, uri, 3, text)
    res = await client.text_document_completion_async(
        types.CompletionParams(text_document=doc_id(uri), position=types.Position(line=MODEL.count("\n"), character=11))
    )
    assert {"12ms", "12min"} <= {i.label for i in res.items}


async def test_signature_help(client: LanguageClient, tmp_path):
    text = "use finance\nlet a = round(3.14159, 2)\nlet g = cagr($1, $2, 3)\n"
    uri = open_doc(client, tmp_path / "s.strat", text)
    sh = await client.text_document_signature_help_async(
        types.SignatureHelpParams(text_document=doc_id(uri), position=pos(text, " 2)"))
    )
    assert sh.signatures[0].label == "round(x, digits)"
    assert sh.active_parameter == 1
    sh = await client.text_document_signature_help_async(
        types.SignatureHelpParams(text_document=doc_id(uri), position=pos(text, "$1"))
    )
    assert sh.signatures[0].label == "cagr(start, end, periods)" and sh.active_parameter == 0
    assert "compound growth rate" in sh.signatures[0].documentation.value


async def test_formatting_equals_strat_fmt(client: LanguageClient, tmp_path):
    messy = "let  a=1+2\nobjective O \"o\" {\nkr K \"k\" { target: 10,current: a }\n}\n"
    uri = open_doc(client, tmp_path / "fmt.strat", messy)
    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(text_document=doc_id(uri), options=types.FormattingOptions(tab_size=2, insert_spaces=True))
    )
    expected = subprocess.run([STRAT, "fmt", "-"], input=messy, capture_output=True, text=True, check=True).stdout
    assert len(edits) == 1 and edits[0].new_text == expected and expected != messy
    assert edits[0].range.start == types.Position(line=0, character=0)
    assert edits[0].range.end == types.Position(line=4, character=0)
    change_doc(client, uri, 2, expected)
    again = await client.text_document_formatting_async(
        types.DocumentFormattingParams(text_document=doc_id(uri), options=types.FormattingOptions(tab_size=2, insert_spaces=True))
    )
    assert not again
    change_doc(client, uri, 3, "let a = (\n")
    with pytest.raises(JsonRpcException):
        await client.text_document_formatting_async(
            types.DocumentFormattingParams(text_document=doc_id(uri), options=types.FormattingOptions(tab_size=2, insert_spaces=True))
        )


async def test_inlay_hints_show_values_and_kr_scores(client: LanguageClient, tmp_path):
    uri = open_doc(client, tmp_path / "m.strat", MODEL)
    hints = await client.text_document_inlay_hint_async(
        types.InlayHintParams(
            text_document=doc_id(uri),
            range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=40, character=0)),
        )
    )
    labels = {(h.position.line, h.label) for h in hints}
    assert (2, "= 252.044M") in labels
    assert (3, "= 40.6%") in labels
    assert (13, "score 0.4523809524 · yellow") in labels


async def test_semantic_tokens_classify_names_by_what_they_refer_to(client: LanguageClient, tmp_path):
    text = MODEL + 'print "members: \\(members) \\(MODERNIZE_PLATFORM.score)"\n/* two\nlines */\n'
    uri = open_doc(client, tmp_path / "m.strat", text)
    res = await client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(text_document=doc_id(uri)))
    legend = client.init_result.capabilities.semantic_tokens_provider.legend
    lines = text.split("\n")
    toks, line, col = {}, 0, 0
    d = res.data
    for i in range(0, len(d), 5):
        line += d[i]
        col = col + d[i + 1] if d[i] == 0 else d[i + 1]
        # Columns are UTF-16 units; the model is ASCII, so they index the line directly.
        word = lines[line][col:col + d[i + 2]]
        mods = {m for b, m in enumerate(legend.token_modifiers) if d[i + 4] >> b & 1}
        toks.setdefault(word, []).append((line, legend.token_types[d[i + 3]], mods))
    assert toks["let"][0][1] == "keyword"
    assert toks["churn"][0] == (1, "variable", {"declaration", "readonly"})
    assert toks["3.8%"][0][1] == "number" and toks["120ms"][0][1] == "number"
    assert toks["// monthly churn"][0][1] == "comment"
    assert ("MODERNIZE_PLATFORM", "namespace") in {(w, t[1]) for w, ts in toks.items() for t in ts}
    assert toks["LATENCY"][0][1] == "struct" and toks["Eng"][0][1] == "class"
    assert toks["round"][0][1:] == ("function", {"defaultLibrary"})
    assert toks["low_churn"][0][1] == "enum"
    # Inside an interpolation the names are names again; the text around them is string.
    assert [t[1] for t in toks["members"]][-1] == "variable"
    assert toks['"members: \\('][0][1] == "string"
    # A block comment over two lines is two tokens.
    assert toks["/* two"][0][1] == "comment" and toks["lines */"][0][1] == "comment"


# ---------------------------------------------------------------------------------------
# errors


async def test_error_responses(client: LanguageClient, tmp_path):
    uri = open_doc(client, tmp_path / "m.strat", MODEL)
    with pytest.raises(JsonRpcException) as e:
        await client.protocol.send_request_async("strat/noSuchMethod", {})
    assert e.value.code == -32601
    with pytest.raises(JsonRpcException) as e:
        await client.text_document_hover_async(
            types.HoverParams(text_document=doc_id(uri), position=types.Position(line=999, character=0))
        )
    assert e.value.code == -32602
    with pytest.raises(JsonRpcException) as e:
        await client.text_document_hover_async(
            types.HoverParams(text_document=doc_id("file:///nowhere/x.strat"), position=types.Position(line=0, character=0))
        )
    assert e.value.code == -32602
    # An unknown notification is ignored; the server still answers.
    client.protocol.notify("strat/unknownNotification", {})
    h = await client.text_document_hover_async(types.HoverParams(text_document=doc_id(uri), position=pos(MODEL, "churn", 1)))
    assert h is not None


async def test_huge_document_gets_diagnostics_not_a_crash(client: LanguageClient, tmp_path):
    text = "".join(f"let x{i} = {i} * 2\n" for i in range(50000)) + "let bad = nope\n"
    uri = open_doc(client, tmp_path / "huge.strat", text)
    diags = await wait_diagnostics(client, uri, lambda d: len(d) > 0, timeout=60)
    assert "unknown name 'nope'" in diags[0].message and diags[0].range.start.line == 50000


# ---------------------------------------------------------------------------------------
# raw protocol: framing errors, lifecycle and exit codes (below the client library)


def raw_session(data: bytes, timeout=30):
    p = subprocess.run([STRAT, "lsp"], input=data, capture_output=True, timeout=timeout)
    out, msgs = p.stdout, []
    while out:
        head, _, rest = out.partition(b"\r\n\r\n")
        n = int(head.split(b":")[1])
        msgs.append(json.loads(rest[:n]))
        out = rest[n:]
    return p.returncode, msgs


def framed(obj) -> bytes:
    body = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def test_raw_protocol_errors_and_exit_codes():
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}
    data = (
        framed({"jsonrpc": "2.0", "id": 0, "method": "textDocument/hover", "params": {}})  # before initialize
        + b"Content-Type: nothing\r\n\r\n"  # no Content-Length
        + framed(b"{not json")
        + b"Content-Length: 99999999999\r\n\r\n" + b"x" * 100  # over the size limit, resynchronises
        + framed(init)
        + framed([1, 2])  # a batch of non-messages
        + framed({"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
        + framed({"jsonrpc": "2.0", "id": 3, "method": "textDocument/hover", "params": {}})  # after shutdown
        + framed({"jsonrpc": "2.0", "method": "exit"})
    )
    code, msgs = raw_session(data)
    assert code == 0
    errors = [m["error"]["code"] for m in msgs if "error" in m]
    assert errors[:4] == [-32002, -32700, -32700, -32700], msgs
    assert msgs[0]["id"] == 0
    init_reply = next(m for m in msgs if m.get("id") == 1)
    caps = init_reply["result"]["capabilities"]
    for cap in ["hoverProvider", "definitionProvider", "referencesProvider", "renameProvider", "documentSymbolProvider",
                "completionProvider", "signatureHelpProvider", "documentFormattingProvider", "inlayHintProvider"]:
        assert caps[cap], cap
    assert [m["error"]["code"] for m in msgs if m.get("id") == 3] == [-32600]
    assert next(m for m in msgs if m.get("id") == 2)["result"] is None
    # exit without shutdown: 1; end of input without exit: 1.
    code, _ = raw_session(framed(init) + framed({"jsonrpc": "2.0", "method": "exit"}))
    assert code == 1
    code, _ = raw_session(framed(init))
    assert code == 1
