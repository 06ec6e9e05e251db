#include "passwd_input.h"

#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

int read_password(const char *prompt, char *out, size_t out_size)
{
    int is_tty = isatty(STDIN_FILENO);
    struct termios saved, quiet;
    if (is_tty) {
        fprintf(stderr, "%s", prompt);
        fflush(stderr);
        if (tcgetattr(STDIN_FILENO, &saved) == 0) {
            quiet = saved;
            quiet.c_lflag &= ~(tcflag_t)ECHO;
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        } else {
            is_tty = 0;
        }
    }
    char *got = fgets(out, (int)out_size, stdin);
    if (is_tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        fprintf(stderr, "\n");
    }
    if (got == NULL)
        return -1;
    size_t n = strcspn(out, "\r\n");
    int was_cut = out[n] == '\0' && n == out_size - 1;
    out[n] = '\0';
    return (n == 0 || was_cut) ? -1 : 0;
}
