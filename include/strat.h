/*
 * strat.h — the C API of the Strat interpreter (libstrat).
 *
 * Build the library with `make lib`: it writes lib/libstrat.so (the Swift runtime is
 * linked in statically, so at run time the library needs only the system's C and C++
 * runtime libraries: no Swift toolchain, no LD_LIBRARY_PATH).
 * Compile a host with `cc -Iinclude host.c -Llib -lstrat -Wl,-rpath,'$ORIGIN/lib'`,
 * or load lib/libstrat.so with dlopen / Python's ctypes. docs/embedding-c.md is the guide.
 *
 * Conventions, for every function below:
 *
 *  - Text is UTF-8, in and out. Input strings are NUL-terminated (strat_load takes a length
 *    instead). Invalid UTF-8 is refused with STRAT_ERR_ARGUMENT, never repaired.
 *  - Structured values are JSON text, in the shapes the `strat` command writes: a number is
 *    {"value": <double in base units>, "unit": "$", "display": "$40"}; a string, a bool and
 *    a list are themselves; `none` is null.
 *  - Functions that can fail return a strat_status. On failure, strat_last_error_json(e)
 *    holds the diagnostics; on success it is "[]". Nothing else is reported: no Swift error,
 *    trap or signal crosses this boundary for any argument a caller can pass (NULL pointers
 *    included). Passing a pointer that is not what the prototype says (a freed engine, a
 *    string without its NUL) is undefined behaviour, as anywhere in C.
 *  - Ownership: a `char **out_json` result is a new string that the caller owns and frees
 *    with strat_string_free; on failure *out_json is set to NULL. Strings the caller passes
 *    in stay the caller's: the library copies what it keeps. `const char *` results
 *    (strat_last_error_json, strat_version) are borrowed: do not free them.
 *  - Threads: an engine is used by one thread at a time (calls are not locked). Different
 *    engines may run on different threads at once; they share nothing.
 */
#ifndef STRAT_H
#define STRAT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------
 * Status codes
 * ------------------------------------------------------------------------------------- */

typedef int strat_status;

#define STRAT_OK               0  /* success */
#define STRAT_ERR_ARGUMENT     1  /* a NULL pointer, invalid UTF-8, a bad name or arity */
#define STRAT_ERR_JSON         2  /* a JSON argument does not parse or has the wrong shape */
#define STRAT_ERR_COMPILE      3  /* syntax, unknown name or path, unit mismatch, cycle,
                                     unknown scenario: nothing was evaluated */
#define STRAT_ERR_RUNTIME      4  /* evaluation failed: division by zero, a limit, a host
                                     function that failed or returned bad JSON */
#define STRAT_ERR_ASSERTION    5  /* strat_load: an `assert` of the model did not hold
                                     (the model is loaded) */
#define STRAT_ERR_IO           6  /* a file could not be read (reserved: the functions here
                                     take source text; unreadable imports are COMPILE) */
#define STRAT_ERR_REENTRANT    7  /* called on an engine from inside one of its own host
                                     functions; the outer call goes on */

/* ---------------------------------------------------------------------------------------
 * Engines
 * ------------------------------------------------------------------------------------- */

/* An interpreter with its loaded model. Opaque. */
typedef struct strat_engine strat_engine;

/*
 * Creates an engine. options_json may be NULL (defaults) or a JSON object:
 *
 *   {
 *     "limits":  {"max_steps": 1000000, "max_call_depth": 64, "max_nesting": 256,
 *                 "max_periods": 1000000, "max_string_length": 10000000,
 *                 "max_list_length": 10000000, "max_source_bytes": 268435456,
 *                 "max_diagnostics": 1000},          (any subset; positive integers)
 *     "imports": "folder"   files under the folder of the path given to strat_load (default)
 *              | "none"     `import` is an error; `use` of the standard library still works
 *              | {"rates.strat": "let eur_usd = 1.08", ...}   only these files, from memory
 *   }
 *
 * Unknown keys are errors (with a "did you mean" hint).
 * On success *out_engine is a new engine that the caller frees with strat_engine_free.
 * On failure *out_engine is NULL and the diagnostics are in strat_last_error_json(NULL).
 * Returns STRAT_OK, STRAT_ERR_ARGUMENT (out_engine NULL, invalid UTF-8) or STRAT_ERR_JSON.
 */
strat_status strat_engine_new(const char *options_json, strat_engine **out_engine);

/*
 * Frees an engine, its model and everything it owns (the string of strat_last_error_json
 * included). NULL is ignored. Called from inside one of the engine's own host functions,
 * the engine is freed when the call that ran the host function returns.
 * Strings returned through out_json parameters are the caller's and stay valid.
 */
void strat_engine_free(strat_engine *e);

/* ---------------------------------------------------------------------------------------
 * Loading
 * ------------------------------------------------------------------------------------- */

/*
 * Loads a model from `len` bytes of UTF-8 source (no NUL needed; NUL bytes are a
 * diagnostic), replacing any model loaded before. `path` (NUL-terminated, may be NULL)
 * is the name diagnostics show; with the default "folder" imports it also decides where
 * `import` may read: the folder of `path`. With NULL (shown as "<input>") imports read
 * nothing from disk. `source` may be NULL only when len is 0.
 *
 * Loading parses, resolves and evaluates the model, then runs its print and assert
 * statements. Returns STRAT_OK; STRAT_ERR_COMPILE (nothing is loaded); STRAT_ERR_RUNTIME
 * or STRAT_ERR_ASSERTION (the model IS loaded: values that do not depend on the failure
 * can be queried); STRAT_ERR_ARGUMENT; STRAT_ERR_REENTRANT. An `import` that is refused
 * or cannot be read is a compile error, as in the CLI.
 */
strat_status strat_load(strat_engine *e, const char *source, size_t len, const char *path);

/* ---------------------------------------------------------------------------------------
 * Queries
 * ------------------------------------------------------------------------------------- */

/*
 * Evaluates a Strat expression against the loaded model (with committed overrides).
 * *out_json is one entry of `strat eval --format json`:
 *   {"expr": "churn", "value": 0.038, "unit": "%", "display": "3.8%"}
 * ("value" is a number in base units, a string, a bool, null or a list of plain values).
 * Returns STRAT_OK, STRAT_ERR_COMPILE, STRAT_ERR_RUNTIME, STRAT_ERR_ARGUMENT,
 * STRAT_ERR_REENTRANT.
 */
strat_status strat_eval_json(strat_engine *e, const char *expr, char **out_json);

/*
 * Evaluates overrides without changing the model. overrides_json is a JSON object
 * {"path": "Strat expression", ...}, applied in document order (a number or a bool is
 * taken as that literal: {"units": 1200}). Paths name a `let` or a property of a declared
 * object ("MODERNIZE_PLATFORM.LATENCY.current"). Host functions take part: a what-if on
 * an input of a host function calls it again with the new arguments.
 * *out_json is `strat whatif --format json`: every value that changed, in dependency order,
 *   [{"path": "revenue", "before": {...}, "after": {...}}, ...]
 * Returns STRAT_OK, STRAT_ERR_JSON, STRAT_ERR_COMPILE (unknown path, bad expression,
 * cycle), STRAT_ERR_RUNTIME (the model is unchanged), STRAT_ERR_ARGUMENT,
 * STRAT_ERR_REENTRANT.
 */
strat_status strat_whatif_json(strat_engine *e, const char *overrides_json, char **out_json);

/*
 * Commits an override: later queries, what-ifs and reports start from it. Recomputes only
 * its dependents. If out_changes_json is not NULL, it receives the changes, in the shape
 * of strat_whatif_json. On STRAT_ERR_RUNTIME the override is undone.
 * Returns STRAT_OK, STRAT_ERR_COMPILE, STRAT_ERR_RUNTIME, STRAT_ERR_ARGUMENT,
 * STRAT_ERR_REENTRANT.
 */
strat_status strat_set(strat_engine *e, const char *path, const char *expr, char **out_changes_json);

/*
 * The report of the model under a scenario (NULL or "baseline" for none): the JSON object
 * `strat run --format json` prints (scenario, plan, variables, objectives, metrics, swots,
 * projections, retros, prints, assertions). The model is unchanged afterwards.
 * Returns STRAT_OK, STRAT_ERR_COMPILE (unknown scenario; model with errors),
 * STRAT_ERR_RUNTIME, STRAT_ERR_ARGUMENT, STRAT_ERR_REENTRANT.
 */
strat_status strat_report_json(strat_engine *e, const char *scenario, char **out_json);

/*
 * Goal seek (SPEC §16): the value of an input at which an expression equals a target,
 * everything else as it is; the model is unchanged afterwards. request_json:
 *   {"input": "price",            an overridable path (a let or a property)
 *    "for": "revenue",            the Strat expression that must reach the value
 *    "value": "$50000",           the value, a Strat expression (or a JSON number)
 *    "in": ["$10", "$100"],       optional: search only this range of the input
 *    "scenario": "optimistic",    optional: solve under a scenario
 *    "overrides": {"units": "2_000"}}   optional: extra overrides, as strat_whatif_json
 * Without "in" the search widens from the input's value. Host functions take part: each
 * trial point is an incremental what-if that calls them when their inputs change.
 * *out_json is `strat solve --format json`:
 *   {"input", "for", "target", "value", "achieved", "start", "bracket": [low, high],
 *    "evaluations", "boundary", "scenario"}   (numbers in the value shape above)
 * Returns STRAT_OK, STRAT_ERR_JSON (bad request, unknown key), STRAT_ERR_COMPILE (unknown
 * path, an expression that does not depend on the input, a unit mismatch),
 * STRAT_ERR_RUNTIME (no solution in the range searched: the message names it),
 * STRAT_ERR_ARGUMENT, STRAT_ERR_REENTRANT.
 */
strat_status strat_solve_json(strat_engine *e, const char *request_json, char **out_json);

/* ---------------------------------------------------------------------------------------
 * Host functions
 * ------------------------------------------------------------------------------------- */

/* One call of a host function, valid only while the callback runs. Opaque. */
typedef struct strat_call strat_call;

/*
 * A host function. args_json is a JSON array of the arguments, each in the value shape
 * above (numbers as {"value","unit","display"}). The callback answers with
 * strat_call_return (a JSON value) and returns 0, or reports a failure with
 * strat_call_fail and returns non-zero. A failure, a missing answer or an answer that is
 * not valid JSON becomes a runtime diagnostic at the call site in the model
 * ("function 'fx' failed: ...") and the operation returns STRAT_ERR_RUNTIME.
 * The callback runs on the thread that called the engine. It may use other engines; a
 * call on its own engine returns STRAT_ERR_REENTRANT. It must return (no longjmp).
 */
typedef int (*strat_function)(strat_call *call, const char *args_json, void *userdata);

/*
 * Registers a host function callable from Strat as name(args...). Register before
 * strat_load (calls are checked when a model loads; registering re-resolves a loaded
 * model). arity is the exact argument count, or -1 for any. Registering a name again
 * replaces the function. Results join the dependency graph like formulas: the engine
 * calls the function again only when its arguments change (it treats it as pure).
 * userdata is passed to every call; it stays the caller's and must stay valid until
 * strat_engine_free or until the name is registered again.
 * Returns STRAT_OK, STRAT_ERR_ARGUMENT (NULL engine/name/callback, a name that is not an
 * identifier, arity < -1), STRAT_ERR_REENTRANT.
 */
strat_status strat_register_function(strat_engine *e, const char *name, int arity,
                                     strat_function callback, void *userdata);

/*
 * The host function's result: a JSON value. null, a bool, a string, a number (plain) or a
 * list as themselves; a number with a unit as {"value": 40, "unit": "$"} with the value
 * in base units (seconds, US dollars) and a unit as reports write it ("", "%", "x", "ms",
 * "s", "min", "h", "d", "wk", "$", "$/s", ...). The text is copied. Calling it again
 * replaces the answer. Returns STRAT_OK or STRAT_ERR_ARGUMENT (NULL, invalid UTF-8); a
 * value that is not valid JSON is reported when the callback returns.
 */
strat_status strat_call_return(strat_call *call, const char *value_json);

/*
 * The host function's failure message (copied), shown in the diagnostic. Returns STRAT_OK
 * or STRAT_ERR_ARGUMENT.
 */
strat_status strat_call_fail(strat_call *call, const char *message);

/* ---------------------------------------------------------------------------------------
 * Errors, strings, version
 * ------------------------------------------------------------------------------------- */

/*
 * The diagnostics of the engine's last call, as a JSON array in the shape of the CLI's
 * JSON diagnostics:
 *   [{"severity": "error", "message": "unknown name 'chrun'", "file": "plan.strat",
 *     "line": 2, "column": 9, "hint": "did you mean 'churn'?"}, ...]
 * "[]" after a call that succeeded. With e NULL: the diagnostics of the last failure on
 * this thread that had no engine to keep them (strat_engine_new, a call given a NULL
 * engine). Never NULL. Borrowed: valid until the next call on the same engine (for NULL:
 * the next such failure on this thread); do not free it.
 */
const char *strat_last_error_json(const strat_engine *e);

/* Frees a string the library returned through an out_json parameter. NULL is ignored. */
void strat_string_free(char *s);

/* The library's version, such as "0.1.0" (StratKit.version). Static: do not free it. */
const char *strat_version(void);

#ifdef __cplusplus
}
#endif

#endif /* STRAT_H */
