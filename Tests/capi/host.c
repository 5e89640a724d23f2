/*
 * A C host of libstrat: every function of include/strat.h, its results and its error
 * paths. Built by `make test-capi` with AddressSanitizer; exits non-zero if a check fails.
 */
#include "strat.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
static int checks = 0;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        checks++;                                                          \
        if (!(cond)) {                                                     \
            failures++;                                                    \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                  \
            fprintf(stderr, "\n");                                         \
        }                                                                  \
    } while (0)

static int contains(const char *haystack, const char *needle) {
    return haystack != NULL && strstr(haystack, needle) != NULL;
}

/* Checks a status and that the engine's last error mentions `needle`; on success, that an
 * engine's last error is "[]" (the thread's, for e NULL, keeps its last failure). */
static void expect(strat_engine *e, strat_status got, strat_status want, const char *needle, int line) {
    const char *err = strat_last_error_json(e);
    checks++;
    if (got != want || (want == STRAT_OK && e != NULL && strcmp(err, "[]") != 0) || (want != STRAT_OK && !contains(err, needle))) {
        failures++;
        fprintf(stderr, "FAIL host.c:%d: status %d (want %d), last error %s (want it to mention \"%s\")\n",
                line, got, want, err, needle);
    }
}
#define EXPECT(e, call, want, needle) expect((e), (call), (want), (needle), __LINE__)

/* ---- host functions -------------------------------------------------------------------- */

struct rates { double eur; int calls; };

/* fx(amount, "EUR"): amount * rate, as money; counts its calls in the userdata. */
static int fx(strat_call *call, const char *args, void *userdata) {
    struct rates *r = userdata;
    r->calls++;
    const char *v = strstr(args, "\"value\":");
    if (v == NULL || strstr(args, "\"EUR\"") == NULL) {
        strat_call_fail(call, "fx takes an amount and \"EUR\"");
        return 1;
    }
    double amount = atof(v + 8);
    char out[128];
    snprintf(out, sizeof out, "{\"value\": %.17g, \"unit\": \"$\"}", amount * r->eur);
    return strat_call_return(call, out);
}

static int fails(strat_call *call, const char *args, void *userdata) {
    (void)args; (void)userdata;
    strat_call_fail(call, "the rate service is down");
    return 1;
}

static int bad_json(strat_call *call, const char *args, void *userdata) {
    (void)args; (void)userdata;
    strat_call_return(call, "{\"value\": 1,");
    return 0;
}

static int no_answer(strat_call *call, const char *args, void *userdata) {
    (void)call; (void)args; (void)userdata;
    return 0;
}

static int bad_unit(strat_call *call, const char *args, void *userdata) {
    (void)args; (void)userdata;
    return strat_call_return(call, "{\"value\": 1, \"unit\": \"furlong\"}");
}

static int percent(strat_call *call, const char *args, void *userdata) {
    (void)args; (void)userdata;
    return strat_call_return(call, "{\"value\": 0.05, \"unit\": \"%\"}");
}

static int echo(strat_call *call, const char *args, void *userdata) {
    (void)userdata;
    return strat_call_return(call, args);  /* the argument list, back as a list */
}

static int invalid_utf8(strat_call *call, const char *args, void *userdata) {
    (void)args; (void)userdata;
    strat_call_return(call, "\"\xff\"");
    return 0;
}

/* Calls back into its own engine (refused), then into a second engine (allowed). */
struct reentry { strat_engine *self; strat_engine *other; strat_status inner; strat_status other_status; char *other_json; };

static int reenter(strat_call *call, const char *args, void *userdata) {
    (void)args;
    struct reentry *r = userdata;
    char *out = (char *)"untouched";
    r->inner = strat_eval_json(r->self, "1 + 1", &out);
    if (out != NULL) { r->inner = -100; }
    r->other_status = strat_eval_json(r->other, "2 * 21", &r->other_json);
    return strat_call_return(call, "7");
}

/* Frees its own engine mid-call: the free is deferred until the call returns. */
static int frees_engine(strat_call *call, const char *args, void *userdata) {
    (void)args;
    strat_engine_free((strat_engine *)userdata);
    return strat_call_return(call, "1");
}

static strat_status load_text(strat_engine *e, const char *src, const char *path) {
    return strat_load(e, src, strlen(src), path);
}

/* ---- sections -------------------------------------------------------------------------- */

static void test_engines(void) {
    strat_engine *e = (strat_engine *)1;
    CHECK(strat_version() != NULL && strlen(strat_version()) > 0, "no version");

    EXPECT(NULL, strat_engine_new("{\"limits\": ", &e), STRAT_ERR_JSON, "invalid JSON");
    CHECK(e == NULL, "failed strat_engine_new left *out_engine set");
    EXPECT(NULL, strat_engine_new("[1]", &e), STRAT_ERR_JSON, "options must be a JSON object");
    EXPECT(NULL, strat_engine_new("{\"limts\": {}}", &e), STRAT_ERR_JSON, "did you mean 'limits'?");
    EXPECT(NULL, strat_engine_new("{\"limits\": {\"max_step\": 5}}", &e), STRAT_ERR_JSON, "did you mean 'max_steps'?");
    EXPECT(NULL, strat_engine_new("{\"limits\": {\"max_steps\": -5}}", &e), STRAT_ERR_JSON, "positive whole number");
    EXPECT(NULL, strat_engine_new("{\"imports\": 3}", &e), STRAT_ERR_JSON, "options.imports");
    EXPECT(NULL, strat_engine_new("{\"\xc3\x28\": 1}", &e), STRAT_ERR_ARGUMENT, "not valid UTF-8");
    EXPECT(NULL, strat_engine_new(NULL, NULL), STRAT_ERR_ARGUMENT, "out_engine is NULL");

    EXPECT(NULL, strat_engine_new(NULL, &e), STRAT_OK, "");
    CHECK(e != NULL, "no engine");
    CHECK(strcmp(strat_last_error_json(e), "[]") == 0, "fresh engine has errors: %s", strat_last_error_json(e));
    /* a host function is callable from expressions before any model is loaded */
    char *out = NULL;
    EXPECT(e, strat_register_function(e, "pct", 0, percent, NULL), STRAT_OK, "");
    EXPECT(e, strat_eval_json(e, "pct() * 2", &out), STRAT_OK, "");
    CHECK(contains(out, "\"display\":\"10%\""), "host function before load: %s", out);
    strat_string_free(out);
    strat_engine_free(e);
    strat_engine_free(NULL);
    strat_string_free(NULL);
}

static void test_null_arguments(strat_engine *e) {
    char *out = (char *)"untouched";
    EXPECT(NULL, strat_load(NULL, "let a = 1", 9, NULL), STRAT_ERR_ARGUMENT, "the engine is NULL");
    EXPECT(NULL, strat_eval_json(NULL, "1", &out), STRAT_ERR_ARGUMENT, "the engine is NULL");
    CHECK(out == NULL, "out_json not cleared on failure");
    EXPECT(NULL, strat_whatif_json(NULL, "{}", &out), STRAT_ERR_ARGUMENT, "the engine is NULL");
    EXPECT(NULL, strat_set(NULL, "a", "1", NULL), STRAT_ERR_ARGUMENT, "the engine is NULL");
    EXPECT(NULL, strat_report_json(NULL, NULL, &out), STRAT_ERR_ARGUMENT, "the engine is NULL");
    EXPECT(NULL, strat_solve_json(NULL, "{}", &out), STRAT_ERR_ARGUMENT, "the engine is NULL");
    EXPECT(NULL, strat_register_function(NULL, "f", 1, fx, NULL), STRAT_ERR_ARGUMENT, "the engine is NULL");

    EXPECT(e, strat_load(e, NULL, 5, "x.strat"), STRAT_ERR_ARGUMENT, "source is NULL");
    EXPECT(e, strat_eval_json(e, NULL, &out), STRAT_ERR_ARGUMENT, "expr is NULL");
    EXPECT(e, strat_eval_json(e, "1", NULL), STRAT_ERR_ARGUMENT, "out_json is NULL");
    EXPECT(e, strat_whatif_json(e, NULL, &out), STRAT_ERR_ARGUMENT, "overrides_json is NULL");
    EXPECT(e, strat_whatif_json(e, "{}", NULL), STRAT_ERR_ARGUMENT, "out_json is NULL");
    EXPECT(e, strat_set(e, NULL, "1", NULL), STRAT_ERR_ARGUMENT, "path is NULL");
    EXPECT(e, strat_set(e, "units", NULL, NULL), STRAT_ERR_ARGUMENT, "expr is NULL");
    EXPECT(e, strat_report_json(e, NULL, NULL), STRAT_ERR_ARGUMENT, "out_json is NULL");
    EXPECT(e, strat_solve_json(e, NULL, &out), STRAT_ERR_ARGUMENT, "request_json is NULL");
    EXPECT(e, strat_register_function(e, NULL, 1, fx, NULL), STRAT_ERR_ARGUMENT, "name is NULL");
    EXPECT(e, strat_register_function(e, "f", 1, NULL, NULL), STRAT_ERR_ARGUMENT, "callback is NULL");
    EXPECT(e, strat_register_function(e, "9f", 1, fx, NULL), STRAT_ERR_ARGUMENT, "not a function name");
    EXPECT(e, strat_register_function(e, "f", -2, fx, NULL), STRAT_ERR_ARGUMENT, "arity -2");
    CHECK(strat_call_return(NULL, "1") == STRAT_ERR_ARGUMENT, "strat_call_return(NULL)");
    CHECK(strat_call_fail(NULL, "x") == STRAT_ERR_ARGUMENT, "strat_call_fail(NULL)");
    CHECK(strat_last_error_json(NULL) != NULL, "thread error is NULL");
}

static void test_invalid_utf8(strat_engine *e) {
    char *out = NULL;
    EXPECT(e, strat_load(e, "let a = \"\xff\"", 12, "u.strat"), STRAT_ERR_ARGUMENT, "source is not valid UTF-8");
    EXPECT(e, strat_eval_json(e, "\xe2\x82", &out), STRAT_ERR_ARGUMENT, "expr is not valid UTF-8");
    EXPECT(e, strat_whatif_json(e, "{\"units\": \"\xff\"}", &out), STRAT_ERR_ARGUMENT, "not valid UTF-8");
    EXPECT(e, strat_set(e, "units", "\xc0\xaf", NULL), STRAT_ERR_ARGUMENT, "expr is not valid UTF-8");
    EXPECT(e, strat_report_json(e, "\xff", &out), STRAT_ERR_ARGUMENT, "scenario is not valid UTF-8");
    EXPECT(e, strat_load(e, "let a = 1", 9, "\xff.strat"), STRAT_ERR_ARGUMENT, "path is not valid UTF-8");
}

static const char *MODEL =
    "let local_price = 49\n"
    "let price = fx(local_price, \"EUR\")\n"
    "let units = 1_000\n"
    "let revenue = price * units\n"
    "let share = pct()\n"
    "let listed = echo(price, \"a\", true, [1, 2])\n"
    "objective GROW \"Grow revenue\" {\n"
    "  kr REV \"Revenue to $60K\" { baseline: $40000, target: $60000, current: revenue }\n"
    "}\n"
    "scenario cheap \"Lower price\" { local_price = 40 }\n";

static void test_model(void) {
    strat_engine *e = NULL;
    struct rates rates = { 1.08, 0 };
    char *out = NULL;
    EXPECT(NULL, strat_engine_new("{\"imports\": \"none\"}", &e), STRAT_OK, "");
    test_null_arguments(e);

    EXPECT(e, strat_register_function(e, "fx", 2, fx, &rates), STRAT_OK, "");
    EXPECT(e, strat_register_function(e, "pct", 0, percent, NULL), STRAT_OK, "");
    EXPECT(e, strat_register_function(e, "echo", -1, echo, NULL), STRAT_OK, "");
    EXPECT(e, load_text(e, MODEL, "plan.strat"), STRAT_OK, "");
    CHECK(rates.calls == 1, "fx called %d times at load", rates.calls);
    test_invalid_utf8(e);

    /* eval */
    EXPECT(e, strat_eval_json(e, "price", &out), STRAT_OK, "");
    CHECK(contains(out, "\"expr\":\"price\"") && contains(out, "\"value\":52.92") && contains(out, "\"unit\":\"$\"")
          && contains(out, "\"display\":\"$52.92\""), "eval price: %s", out);
    strat_string_free(out);
    EXPECT(e, strat_eval_json(e, "share", &out), STRAT_OK, "");
    CHECK(contains(out, "\"display\":\"5%\""), "eval share: %s", out);
    strat_string_free(out);
    EXPECT(e, strat_eval_json(e, "listed", &out), STRAT_OK, "");
    CHECK(contains(out, "\"value\":[52.92,\"a\",true,[1,2]]"), "echo returns its argument list: %s", out);
    strat_string_free(out);
    EXPECT(e, strat_eval_json(e, "GROW.REV.progress", &out), STRAT_OK, "");
    CHECK(contains(out, "\"value\":0.6"), "KR progress from a host function: %s", out);
    strat_string_free(out);
    EXPECT(e, strat_eval_json(e, "\"caf\xc3\xa9\"", &out), STRAT_OK, "");
    CHECK(contains(out, "\"value\":\"caf\xc3\xa9\""), "UTF-8 round trip: %s", out);
    strat_string_free(out);

    /* errors of expressions */
    EXPECT(e, strat_eval_json(e, "revenu * 2", &out), STRAT_ERR_COMPILE, "did you mean 'revenue'?");
    CHECK(out == NULL, "out_json set on failure");
    EXPECT(e, strat_eval_json(e, "revenue / 0", &out), STRAT_ERR_RUNTIME, "division by zero");
    EXPECT(e, strat_eval_json(e, "(", &out), STRAT_ERR_COMPILE, "\"line\":1");
    EXPECT(e, strat_eval_json(e, "1", &out), STRAT_OK, "");
    strat_string_free(out);

    /* what-if: through the host function (called again), then beside it (not called) */
    int before = rates.calls;
    EXPECT(e, strat_whatif_json(e, "{\"local_price\": \"50\"}", &out), STRAT_OK, "");
    CHECK(contains(out, "\"path\":\"price\"") && contains(out, "\"display\":\"$54\"")
          && contains(out, "\"path\":\"revenue\"") && contains(out, "\"display\":\"$54000\""), "whatif: %s", out);
    CHECK(rates.calls == before + 1, "fx calls %d → %d for a what-if on its input", before, rates.calls);
    strat_string_free(out);
    before = rates.calls;
    EXPECT(e, strat_whatif_json(e, "{\"units\": 2000}", &out), STRAT_OK, "");
    CHECK(contains(out, "\"path\":\"revenue\"") && !contains(out, "\"path\":\"price\""), "whatif units: %s", out);
    CHECK(rates.calls == before, "fx called for a what-if that does not reach it");
    strat_string_free(out);
    EXPECT(e, strat_whatif_json(e, "{\"units\": 2e3, \"local_price\": 4.9E1}", &out), STRAT_OK, "");
    CHECK(contains(out, "\"display\":\"$105840\"") && !contains(out, "\"path\":\"price\""),
          "JSON numbers with exponents as overrides: %s", out);
    strat_string_free(out);
    EXPECT(e, strat_whatif_json(e, "{\"units\": 1.5e-7}", &out), STRAT_OK, "");
    CHECK(contains(out, "\"after\":{\"value\":1.5e-07,"), "a tiny override: %s", out);
    strat_string_free(out);
    EXPECT(e, strat_whatif_json(e, "{}", &out), STRAT_OK, "");
    CHECK(out != NULL && strcmp(out, "[]") == 0, "empty what-if: %s", out);
    strat_string_free(out);
    EXPECT(e, strat_eval_json(e, "revenue", &out), STRAT_OK, "");
    CHECK(contains(out, "\"value\":52920"), "what-if left the model changed: %s", out);
    strat_string_free(out);
    EXPECT(e, strat_whatif_json(e, "{\"local_price\": ", &out), STRAT_ERR_JSON, "invalid JSON");
    EXPECT(e, strat_whatif_json(e, "[\"units\"]", &out), STRAT_ERR_JSON, "must be a JSON object");
    EXPECT(e, strat_whatif_json(e, "{\"units\": null}", &out), STRAT_ERR_JSON, "overrides_json.units");
    EXPECT(e, strat_whatif_json(e, "{\"unit\": \"5\"}", &out), STRAT_ERR_COMPILE, "did you mean 'units'?");
    EXPECT(e, strat_whatif_json(e, "{\"units\": \"units / 0\"}", &out), STRAT_ERR_COMPILE, "cycle");
    EXPECT(e, strat_whatif_json(e, "{\"units\": \"1 / 0\"}", &out), STRAT_ERR_RUNTIME, "division by zero");

    /* set */
    EXPECT(e, strat_set(e, "units", "2_000", &out), STRAT_OK, "");
    CHECK(contains(out, "\"path\":\"revenue\"") && contains(out, "\"display\":\"$105840\""), "set: %s", out);
    strat_string_free(out);
    EXPECT(e, strat_eval_json(e, "revenue", &out), STRAT_OK, "");
    CHECK(contains(out, "\"value\":105840"), "set did not stick: %s", out);
    strat_string_free(out);
    EXPECT(e, strat_set(e, "units", "3_000", NULL), STRAT_OK, "");
    EXPECT(e, strat_set(e, "nope", "1", NULL), STRAT_ERR_COMPILE, "nope");

    /* report */
    EXPECT(e, strat_report_json(e, NULL, &out), STRAT_OK, "");
    CHECK(contains(out, "\"scenario\": \"baseline\"") && contains(out, "\"objectives\"") && contains(out, "\"GROW\""),
          "report: %.200s", out);
    strat_string_free(out);
    before = rates.calls;
    EXPECT(e, strat_report_json(e, "cheap", &out), STRAT_OK, "");
    CHECK(contains(out, "\"scenario\": \"cheap\"") && contains(out, "$43.2"), "scenario report: %.300s", out);
    CHECK(rates.calls > before, "a scenario on fx's input did not call fx");
    strat_string_free(out);
    EXPECT(e, strat_report_json(e, "chep", &out), STRAT_ERR_COMPILE, "did you mean 'cheap'?");

    /* solve: goal seek through the host function (units is 3000 now) */
    before = rates.calls;
    EXPECT(e, strat_solve_json(e, "{\"input\": \"local_price\", \"for\": \"revenue\", \"value\": \"$60000\"}", &out), STRAT_OK, "");
    CHECK(contains(out, "\"input\":\"local_price\"") && contains(out, "\"display\":\"18.51851852\"")
          && contains(out, "\"achieved\":{\"value\":60000") && contains(out, "\"boundary\":false"), "solve: %s", out);
    CHECK(rates.calls > before + 2, "goal seek did not go through fx (%d calls)", rates.calls - before);
    strat_string_free(out);
    EXPECT(e, strat_eval_json(e, "local_price", &out), STRAT_OK, "");
    CHECK(contains(out, "\"value\":49,"), "solve changed the model: %s", out);
    strat_string_free(out);
    EXPECT(e, strat_solve_json(e, "{\"input\": \"units\", \"for\": \"revenue\", \"value\": 52920, \"in\": [1, 10], \"scenario\": \"cheap\"}", &out),
           STRAT_ERR_COMPILE, "unit mismatch");
    EXPECT(e, strat_solve_json(e, "{\"input\": \"units\", \"for\": \"revenue\", \"value\": \"$43200\", \"scenario\": \"cheap\", \"overrides\": {\"local_price\": \"40\"}}", &out), STRAT_OK, "");
    CHECK(contains(out, "\"scenario\":\"cheap\"") && contains(out, "\"value\":{\"value\":1000"), "solve under a scenario: %s", out);
    strat_string_free(out);
    EXPECT(e, strat_solve_json(e, "{\"input\": \"units\", \"for\": \"revenue\", \"value\": \"-$5\", \"in\": [\"1\", \"10\"]}", &out),
           STRAT_ERR_RUNTIME, "no solution");
    EXPECT(e, strat_solve_json(e, "{\"input\": \"local_price\", \"for\": \"units\", \"value\": 5}", &out), STRAT_ERR_COMPILE, "does not depend on");
    EXPECT(e, strat_solve_json(e, "{\"input\": ", &out), STRAT_ERR_JSON, "invalid JSON");
    EXPECT(e, strat_solve_json(e, "[1]", &out), STRAT_ERR_JSON, "must be a JSON object");
    EXPECT(e, strat_solve_json(e, "{\"input\": \"units\", \"fr\": \"revenue\", \"value\": 1}", &out), STRAT_ERR_JSON, "did you mean 'for'?");
    EXPECT(e, strat_solve_json(e, "{\"input\": \"units\", \"value\": 1}", &out), STRAT_ERR_JSON, "request_json.for");
    EXPECT(e, strat_solve_json(e, "{\"input\": \"units\", \"for\": \"revenue\"}", &out), STRAT_ERR_JSON, "value is missing");
    EXPECT(e, strat_solve_json(e, "{\"input\": \"units\", \"for\": \"revenue\", \"value\": 1, \"in\": [1]}", &out), STRAT_ERR_JSON, "[low, high]");
    EXPECT(e, strat_solve_json(e, "{\"input\": \"units\", \"for\": \"revenue\", \"value\": \"$1\"}", NULL), STRAT_ERR_ARGUMENT, "out_json is NULL");

    strat_engine_free(e);
}

static void test_callback_errors(void) {
    strat_engine *e = NULL, *other = NULL;
    char *out = NULL;
    struct reentry r = { NULL, NULL, -1, -1, NULL };
    EXPECT(NULL, strat_engine_new(NULL, &e), STRAT_OK, "");
    EXPECT(NULL, strat_engine_new(NULL, &other), STRAT_OK, "");
    r.self = e;
    r.other = other;
    EXPECT(e, strat_register_function(e, "fails", 1, fails, NULL), STRAT_OK, "");
    EXPECT(e, strat_register_function(e, "bad_json", 0, bad_json, NULL), STRAT_OK, "");
    EXPECT(e, strat_register_function(e, "no_answer", 0, no_answer, NULL), STRAT_OK, "");
    EXPECT(e, strat_register_function(e, "bad_unit", 0, bad_unit, NULL), STRAT_OK, "");
    EXPECT(e, strat_register_function(e, "invalid_utf8", 0, invalid_utf8, NULL), STRAT_OK, "");
    EXPECT(e, strat_register_function(e, "reenter", 0, reenter, &r), STRAT_OK, "");

    /* a failing host function at load: the model loads, the failure is a diagnostic */
    EXPECT(e, load_text(e, "let a = 2\nlet b = fails(a)\n", "cb.strat"), STRAT_ERR_RUNTIME,
           "function 'fails' failed: the rate service is down");
    EXPECT(e, strat_eval_json(e, "a * 2", &out), STRAT_OK, "");
    CHECK(contains(out, "\"value\":4"), "independent value after a failed host call: %s", out);
    strat_string_free(out);
    EXPECT(e, strat_eval_json(e, "fails(1)", &out), STRAT_ERR_RUNTIME, "\"line\":1");
    EXPECT(e, strat_eval_json(e, "bad_json()", &out), STRAT_ERR_RUNTIME, "function 'bad_json' failed: it returned invalid JSON");
    EXPECT(e, strat_eval_json(e, "no_answer()", &out), STRAT_ERR_RUNTIME, "returned no value");
    EXPECT(e, strat_eval_json(e, "bad_unit()", &out), STRAT_ERR_RUNTIME, "unknown unit 'furlong'");
    EXPECT(e, strat_eval_json(e, "invalid_utf8()", &out), STRAT_ERR_RUNTIME, "not valid UTF-8");
    EXPECT(e, strat_eval_json(e, "fails(1, 2)", &out), STRAT_ERR_COMPILE, "takes 1 argument");

    /* re-entry: the inner call is refused, the outer one goes on; another engine works */
    EXPECT(e, strat_eval_json(e, "reenter() * 6", &out), STRAT_OK, "");
    CHECK(contains(out, "\"value\":42"), "re-entering host function's result: %s", out);
    strat_string_free(out);
    CHECK(r.inner == STRAT_ERR_REENTRANT, "inner call returned %d", r.inner);
    CHECK(r.other_status == STRAT_OK && contains(r.other_json, "\"value\":42"), "second engine in a callback: %d %s",
          r.other_status, r.other_json);
    strat_string_free(r.other_json);

    /* freeing an engine from inside its own host function is deferred */
    strat_engine *doomed = NULL;
    EXPECT(NULL, strat_engine_new(NULL, &doomed), STRAT_OK, "");
    EXPECT(doomed, strat_register_function(doomed, "frees", 0, frees_engine, doomed), STRAT_OK, "");
    CHECK(strat_load(doomed, "let z = frees()", 15, NULL) == STRAT_OK, "load with a freeing host function");
    /* doomed is gone now; ASan reports any use after free */

    strat_engine_free(e);
    strat_engine_free(other);
}

static void test_loading(void) {
    strat_engine *e = NULL;
    char *out = NULL;
    EXPECT(NULL, strat_engine_new("{\"imports\": {\"rates.strat\": \"let eur_usd = 1.08\"}}", &e), STRAT_OK, "");
    EXPECT(e, load_text(e, "import \"rates.strat\"\nlet price = 40 * eur_usd\n", "main.strat"), STRAT_OK, "");
    EXPECT(e, strat_eval_json(e, "price", &out), STRAT_OK, "");
    CHECK(contains(out, "43.2"), "in-memory import: %s", out);
    strat_string_free(out);
    EXPECT(e, load_text(e, "import \"other.strat\"\n", "main.strat"), STRAT_ERR_COMPILE, "other.strat");
    EXPECT(e, load_text(e, "let a = \nlet b = chrun\n", "bad.strat"), STRAT_ERR_COMPILE, "\"file\":\"bad.strat\"");
    EXPECT(e, strat_eval_json(e, "1", &out), STRAT_ERR_COMPILE, "");  /* nothing is loaded */
    EXPECT(e, load_text(e, "let a = 1\nassert a > 2 \"too small\"\n", "as.strat"), STRAT_ERR_ASSERTION, "too small");
    EXPECT(e, strat_load(e, "let a = 1\0", 10, "nul.strat"), STRAT_ERR_COMPILE, "nul.strat");
    EXPECT(e, strat_load(e, NULL, 0, NULL), STRAT_OK, "");
    EXPECT(e, strat_load(e, "x", (size_t)-1, NULL), STRAT_ERR_ARGUMENT, "larger than the source limit");
    strat_engine_free(e);

    EXPECT(NULL, strat_engine_new("{\"imports\": \"none\"}", &e), STRAT_OK, "");
    EXPECT(e, load_text(e, "import \"x.strat\"\n", "/tmp/m.strat"), STRAT_ERR_COMPILE, "imports are disabled");
    strat_engine_free(e);

    EXPECT(NULL, strat_engine_new("{\"limits\": {\"max_steps\": 1000}}", &e), STRAT_OK, "");
    EXPECT(e, load_text(e, "fn f(n) = if n <= 0 then 0 else 1 + f(n - 1)\nlet deep = f(200)\n", NULL),
           STRAT_ERR_RUNTIME, "1,000 evaluation steps");
    strat_engine_free(e);
}

/* One engine per thread, all at once. */
static void *worker(void *arg) {
    long k = (long)arg;
    strat_engine *e = NULL;
    char src[128], *out = NULL;
    int ok = 1;
    if (strat_engine_new(NULL, &e) != STRAT_OK) return (void *)0;
    snprintf(src, sizeof src, "let k = %ld\nlet sq = k * k\n", k);
    ok &= strat_load(e, src, strlen(src), NULL) == STRAT_OK;
    for (int i = 0; i < 200 && ok; i++) {
        char o[64], want[64];
        snprintf(o, sizeof o, "{\"k\": \"%d\"}", i);
        ok &= strat_whatif_json(e, o, &out) == STRAT_OK;
        snprintf(want, sizeof want, "\"after\":{\"value\":%d,", i * i);
        ok &= i == k || contains(out, want);
        strat_string_free(out);
    }
    strat_engine_free(e);
    return (void *)(long)ok;
}

static void test_threads(void) {
    pthread_t t[4];
    for (long k = 0; k < 4; k++) pthread_create(&t[k], NULL, worker, (void *)(k + 1000));
    for (int k = 0; k < 4; k++) {
        void *ok = NULL;
        pthread_join(t[k], &ok);
        CHECK(ok == (void *)1, "thread %d failed", k);
    }
}

int main(void) {
    test_engines();
    test_model();
    test_callback_errors();
    test_loading();
    test_threads();
    if (failures) {
        fprintf(stderr, "capi host: %d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("capi host: %d checks passed (libstrat %s)\n", checks, strat_version());
    return 0;
}
