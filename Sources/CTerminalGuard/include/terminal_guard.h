#ifndef CTERMINALGUARD_H
#define CTERMINALGUARD_H
#include <termios.h>
/* The terminal guard (used only by EaselTerminal/TerminalGuard.swift).
   A forked child that puts the terminal back when its parent dies while the terminal is in curses
   mode (SIGKILL, a crash the parent could not handle). The parent writes 'A' (armed: the terminal is
   in curses mode) and 'D' (disarmed: restored or suspended) to the returned pipe; at end of file the
   child restores only if the last byte was 'A'. Between fork and _exit the child makes only
   async-signal-safe calls (the parent has other threads). Returns the pipe's write end (close-on-exec),
   or -1 with errno set. */
int ctg_start_terminal_guard(const struct termios *modes, const char *reset, int resetLength);
#endif
