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
/* ---- The terminal guard (used only by EaselTerminal/TerminalGuard.swift) ----
   A forked child that puts the terminal back when its parent dies while the terminal is in curses
   mode (SIGKILL, a crash the parent could not handle). The parent writes 'A' (armed: the terminal is
   in curses mode) and 'D' (disarmed: restored or suspended) to the returned pipe; at end of file the
   child restores only if the last byte was 'A'. Between fork and _exit the child makes only
   async-signal-safe calls (the parent has other threads). Returns the pipe's write end (close-on-exec),
   or -1 with errno set. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>
static inline int cnc_start_terminal_guard(const struct termios *modes, const char *reset, int resetLength) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    pid_t pid = fork();
    if (pid < 0) { int e = errno; close(fds[0]); close(fds[1]); errno = e; return -1; }
    if (pid == 0) {
        int ignored[] = { SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGTERM, SIGHUP, SIGWINCH, SIGPIPE, SIGCONT };
        for (unsigned i = 0; i < sizeof ignored / sizeof ignored[0]; i++) signal(ignored[i], SIG_IGN);
        sigset_t none; sigemptyset(&none); sigprocmask(SIG_SETMASK, &none, 0);
        for (int fd = 3; fd < 4096; fd++) if (fd != fds[0]) close(fd);
        if (chdir("/") != 0) { /* keep going: only the restore matters */ }
        char armed = 0, c;
        for (;;) {
            ssize_t n = read(fds[0], &c, 1);
            if (n == 1) { armed = (c == 'A'); continue; }
            if (n < 0 && errno == EINTR) continue;
            break;
        }
        if (armed) {
            tcsetattr(STDIN_FILENO, TCSANOW, modes);
            int off = 0;
            while (off < resetLength) {
                ssize_t w = write(STDOUT_FILENO, reset + off, (size_t)(resetLength - off));
                if (w < 0 && errno == EINTR) continue;
                if (w <= 0) break;
                off += (int)w;
            }
        }
        _exit(0);
    }
    close(fds[0]);
    return fds[1];
}
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
