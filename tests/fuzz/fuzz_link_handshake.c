/* libFuzzer target for node/linux/link_handshake: the relay's answer head to lookout-cam's
 * WebSocket upgrade, from the network. Whatever the input: 0 only when the head carries the
 * expected Sec-WebSocket-Accept value, and otherwise a non-empty, NUL-terminated reason. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "link_handshake.h"

#define ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *head = malloc(size + 1);
    if (head == NULL)
        return 0;
    memcpy(head, data, size);
    head[size] = '\0';
    char why[LINK_HANDSHAKE_WHY_MAX];
    memset(why, 'x', sizeof(why));
    int rc = link_handshake_check(head, ACCEPT, why, sizeof(why));
    if (rc == 0 && strstr(head, ACCEPT) == NULL)
        abort();
    if (rc != 0 && (rc != -1 || memchr(why, '\0', sizeof(why)) == NULL || why[0] == '\0'))
        abort();
    /* A small reason buffer is cut, never overrun. */
    char small[8];
    rc = link_handshake_check(head, ACCEPT, small, sizeof(small));
    if (rc != 0 && memchr(small, '\0', sizeof(small)) == NULL)
        abort();
    free(head);
    return 0;
}
