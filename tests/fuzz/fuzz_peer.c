/* libFuzzer target for the client-address normalizer (peer_normalize, issue 10 #3) and the
 * throttle's grouping of addresses: any text in, a NUL-terminated address out that fits; an
 * IPv4-mapped address comes out as the IPv4 address, which normalizes to itself. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "peer.h"
#include "throttle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char out[PEER_ADDRESS_MAX], again[PEER_ADDRESS_MAX];
    peer_normalize(text, out, sizeof(out));
    if (strlen(out) >= sizeof(out))
        abort();
    struct in6_addr a6;
    if (inet_pton(AF_INET6, text, &a6) == 1 && IN6_IS_ADDR_V4MAPPED(&a6)) {
        struct in_addr a4;
        if (inet_pton(AF_INET, out, &a4) != 1 || memcmp(&a4, a6.s6_addr + 12, 4) != 0)
            abort();
        if (strcmp(peer_normalize(out, again, sizeof(again)), out) != 0)
            abort();
    }
    struct throttle *t = throttle_new();
    if (t != NULL) {
        throttle_fail(t, text, 1);
        if (throttle_wait_ms(t, text, 1) != 0) /* the first failure is free */
            abort();
        throttle_take_check(t, text, 1);
        throttle_free(t);
    }
    free(text);
    return 0;
}
