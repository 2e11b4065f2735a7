/* The terminal guard: forked before curses starts, it restores the terminal when Easel dies in curses
   mode. In C because the child, forked from a process with other threads, may make only
   async-signal-safe calls until _exit; Swift code could allocate there. See terminal_guard.h. */
#include "terminal_guard.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>
int ctg_start_terminal_guard(const struct termios *modes, const char *reset, int resetLength) {
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
