#ifndef CNCURSES_SHIM_H
#define CNCURSES_SHIM_H
/* The wide-char API is declared only when NCURSES_WIDECHAR is 1. SwiftPM drops pkg-config's
   -D_XOPEN_SOURCE=600 and cSettings never reach Swift's importer, so it is defined here. */
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <locale.h>
#include <wchar.h>
#include <ncursesw/curses.h>

/* Function-like macros are not imported by Swift. */
static inline attr_t cnc_a_normal(void)    { return A_NORMAL; }
static inline attr_t cnc_a_bold(void)      { return A_BOLD; }
static inline attr_t cnc_a_dim(void)       { return A_DIM; }
static inline attr_t cnc_a_reverse(void)   { return A_REVERSE; }
static inline attr_t cnc_a_underline(void) { return A_UNDERLINE; }
static inline attr_t cnc_a_italic(void)    { return A_ITALIC; }
static inline attr_t cnc_a_invis(void)     { return A_INVIS; }
static inline int    cnc_getmaxy(WINDOW *w) { return getmaxy(w); }
static inline int    cnc_getmaxx(WINDOW *w) { return getmaxx(w); }
/* C globals are shared mutable state to Swift 6: read them through functions. */
static inline int    cnc_colors(void)      { return COLORS; }
static inline int    cnc_color_pairs(void) { return COLOR_PAIRS; }
/* Mouse masks are function-like macros. */
static inline mmask_t cnc_mouse_mask(void)      { return BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED; }
static inline int     cnc_is_left_click(mmask_t m) { return (m & (BUTTON1_PRESSED | BUTTON1_CLICKED)) != 0; }
static inline int     cnc_is_wheel_up(mmask_t m)   { return (m & BUTTON4_PRESSED) != 0; }
static inline int     cnc_is_wheel_down(mmask_t m) { return (m & BUTTON5_PRESSED) != 0; }
/* ---- terminfo facts for $TERM, read before initscr (used only by EaselTerminal/Screen.swift) ----
   term.h is not included: its capability macros (lines, columns, bell, ...) would leak into Swift. */
extern int setupterm(const char *, int, int *);
/* Returns terminfo's `colors` (0 when $TERM has no entry) and sets *direct to 1 when the entry has the
   `RGB` (ncurses' direct-colour) or `Tc` (tmux's true-colour) flag. */
static inline int cnc_terminfo_colors(int *direct) {
    int err = 0;
    *direct = 0;
    if (setupterm(0, 1, &err) != 0) return 0;
    *direct = tigetflag("RGB") > 0 || tigetflag("Tc") > 0;
    int colors = tigetnum("colors");
    return colors > 0 ? colors : 0;
}
#endif
