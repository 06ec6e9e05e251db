#ifndef LOOKOUT_AV_LIB_H
#define LOOKOUT_AV_LIB_H

#include <stddef.h>

/*
 * libavformat, libavcodec and libavutil, loaded at run time.
 *
 * Only recording uses them, and linking them pulls about 200 shared libraries into every relay
 * (codecs, librsvg, GnuTLS, ...): 23 MB more resident memory and a larger attack surface for a
 * relay that never records. So the relay is not linked with them: av_lib.c defines each libav
 * function the guard layer calls, with the prototype of Debian's headers, as a forwarder to the
 * function dlopen() found in the library of the same major version as those headers (the
 * approach systemd takes for its optional libraries). Call sites use the libav API unchanged.
 *
 * A libav function the guard layer starts to use needs a forwarder in av_lib.c: without one,
 * the relay does not link.
 */

/* Load the three libraries once (thread-safe; later calls return the first result). Returns 0,
 * or -ENOENT with a one-line reason in err naming the missing library and its Debian package.
 * Forwarders call it themselves; start-up calls it to report a missing library clearly. */
int av_lib_load(char *err, size_t err_size);

#endif
