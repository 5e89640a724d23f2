#ifndef STRAT_CEDITLINE_SHIM_H
#define STRAT_CEDITLINE_SHIM_H
#include <stdio.h>
#include <wchar.h>
#include <locale.h>
#include <langinfo.h>
#include <histedit.h>
#include <editline/readline.h>

/*
 * Non-variadic wrappers around libedit's el_set/el_get/history, which Swift cannot
 * call directly (C variadic functions are not imported). Used by Sources/strat/LineEditor.swift.
 */

typedef char *(*strat_el_prompt_fn)(EditLine *);
typedef unsigned char (*strat_el_command_fn)(EditLine *, int);
typedef int (*strat_el_getc_fn)(EditLine *, wchar_t *);

/* The C standard streams (Swift 6 rejects direct use of the mutable globals). */
static inline FILE *strat_stdin(void) { return stdin; }
static inline FILE *strat_stdout(void) { return stdout; }
static inline FILE *strat_stderr(void) { return stderr; }

static inline int strat_el_set_prompt(EditLine *el, strat_el_prompt_fn fn) {
    /* '\1' brackets invisible sequences (colour codes) inside the prompt. */
    return el_set(el, EL_PROMPT_ESC, fn, '\1');
}
static inline int strat_el_set_editor(EditLine *el, const char *mode) {
    return el_set(el, EL_EDITOR, mode);
}
static inline int strat_el_set_signal(EditLine *el, int on) {
    return el_set(el, EL_SIGNAL, on);
}
static inline int strat_el_set_clientdata(EditLine *el, void *data) {
    return el_set(el, EL_CLIENTDATA, data);
}
static inline void *strat_el_get_clientdata(EditLine *el) {
    void *data = NULL;
    if (el_get(el, EL_CLIENTDATA, &data) != 0) return NULL;
    return data;
}
static inline int strat_el_set_getcfn(EditLine *el, strat_el_getc_fn fn) {
    return el_set(el, EL_GETCFN, fn);
}
static inline int strat_el_addfn(EditLine *el, const char *name, const char *help,
                                 strat_el_command_fn fn) {
    return el_set(el, EL_ADDFN, name, help, fn);
}
static inline int strat_el_bind(EditLine *el, const char *key, const char *command) {
    return el_set(el, EL_BIND, key, command, (const char *)NULL);
}
static inline int strat_el_set_history(EditLine *el, History *h) {
    return el_set(el, EL_HIST, history, h);
}
static inline int strat_el_prep_term(EditLine *el, int raw) {
    return el_set(el, EL_PREP_TERM, raw);
}
static inline int strat_el_refresh(EditLine *el) {
    return el_set(el, EL_REFRESH);
}
static inline int strat_history_setsize(History *h, int size) {
    HistEvent ev;
    return history(h, &ev, H_SETSIZE, size);
}
static inline int strat_history_setunique(History *h, int on) {
    HistEvent ev;
    return history(h, &ev, H_SETUNIQUE, on);
}
static inline int strat_history_enter(History *h, const char *line) {
    HistEvent ev;
    return history(h, &ev, H_ENTER, line);
}
#endif
