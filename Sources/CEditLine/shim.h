#ifndef STRAT_CEDITLINE_SHIM_H
#define STRAT_CEDITLINE_SHIM_H
#include <stdio.h>
#include <wchar.h>
#include <locale.h>
#include <langinfo.h>
#include <histedit.h>
#include <editline/readline.h>
#ifdef __GLIBC__
/* mallopt, for the CLI's heap settings (Sources/strat/Heap.swift). */
#include <malloc.h>
#endif

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
static inline int strat_history_clear(History *h) {
    HistEvent ev;
    return history(h, &ev, H_CLEAR);
}

/*
 * The history file is read and written by libedit itself (H_LOAD, H_SAVE, H_SAVE_FP), so
 * it is libedit's format: a "_HiStOrY_V2_" line, then one strvis(3)-encoded entry a line.
 * H_LOAD and H_SAVE return the number of entries read or written, or -1.
 */
static inline int strat_history_load(History *h, const char *path) {
    HistEvent ev;
    return history(h, &ev, H_LOAD, path);
}
static inline int strat_history_save(History *h, const char *path) {
    HistEvent ev;
    return history(h, &ev, H_SAVE, path);
}
static inline int strat_history_save_fp(History *h, FILE *fp) {
    HistEvent ev;
    return history(h, &ev, H_SAVE_FP, fp);
}
/* The entry H_FIRST (newest), H_LAST (oldest), H_NEXT (older) or H_PREV (newer) moves to,
 * or NULL; the string belongs to the history and changes with it. */
static inline const char *strat_history_step(History *h, int op) {
    HistEvent ev;
    return history(h, &ev, op) == 0 ? ev.str : NULL;
}

/*
 * fn_complete: libedit's own completion command (src/filecomplete.c) — word finding, the
 * common-prefix insertion, filename completion with shell quoting, and the match list
 * (fn_display_match_list) on a second Tab. libedit.so exports it (its readline emulation's
 * rl_complete is a call to it), but the declaration is in filecomplete.h, which libedit
 * does not install; so it is declared here, as libedit itself declares it.
 *
 * Why this is sound, and for which versions: the prototype below is the one in every
 * libedit release from 3.1-20160618 on (NetBSD filecomplete.h 1.10 of 2016-04-11, the
 * wchar_t rewrite) to this day — checked in the release tarballs 20160618, 20160903,
 * 20170329, 20180525, 20181209, 20190324, 20191025, 20191211, 20191231, 20210216, 20210419,
 * 20210522, 20210714, 20210910 and NetBSD filecomplete.c 1.68 (2021), and on Debian
 * bookworm's 3.1-20221030 by `nm -D`. Releases up to 20150325 declared the strings as
 * `Char`, which is wchar_t or char depending on how libedit was configured (--enable-widec),
 * and BSD base systems carried variants of their own (one FreeBSD copy has 14 arguments):
 * there, these arguments could be read wrongly. Those releases predate el_rfunc_t
 * (histedit.h 1.56, 2016-04-19), so the typedef below makes the build fail against their
 * headers instead of the program misbehaving at run time.
 * fn_display_match_list itself is not declared: it gained an argument in 2017 (1.11), and
 * fn_complete calls it with the right one. fn_complete2 (with flags) would be more direct,
 * but exists only from 20210419 (Debian bullseye and Ubuntu 20.04 ship 20191231).
 */
typedef el_rfunc_t strat_libedit_3_1_20160618_or_later_is_required;

extern int fn_complete(EditLine *el,
    char *(*complete_func)(const char *, int),
    char **(*attempted_completion_function)(const char *, int, int),
    const wchar_t *word_break, const wchar_t *special_prefixes,
    const char *(*app_func)(const char *), size_t query_items,
    int *completion_type, int *over, int *point, int *end);
#endif
