#include "throttle.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    char address[48];
    unsigned failures;
    int64_t last_failure_us;
};

/* Password checks an address had in the current window, whatever their result. */
struct rate {
    char address[64];
    unsigned checks;
    int64_t window_us;
};

struct throttle {
    struct entry list[THROTTLE_MAX_ADDRESSES];
    struct rate rates[THROTTLE_MAX_ADDRESSES];
};

struct throttle *throttle_new(void)
{
    return calloc(1, sizeof(struct throttle));
}

void throttle_free(struct throttle *t)
{
    free(t);
}

/*
 * The unit that is throttled: an IPv4 address, or an IPv6 address's /64. One subscriber
 * usually holds a whole /64, so counting per /128 would give a guesser 2^64 fresh addresses.
 */
static const char *key_of(const char *address, char *out, size_t out_size)
{
    struct in6_addr a6;
    if (strchr(address, ':') == NULL || inet_pton(AF_INET6, address, &a6) != 1)
        return address;
    /* ::ffff:a.b.c.d is the IPv4 client a.b.c.d on a dual-stack socket (RFC 4291 §2.5.5.2),
     * not a member of the /64 every IPv4 client would share. */
    if (IN6_IS_ADDR_V4MAPPED(&a6))
        return inet_ntop(AF_INET, a6.s6_addr + 12, out, (socklen_t)out_size) ? out : address;
    memset(a6.s6_addr + 8, 0, 8);
    char text[INET6_ADDRSTRLEN];
    if (inet_ntop(AF_INET6, &a6, text, sizeof(text)) == NULL)
        return address;
    snprintf(out, out_size, "%s/64", text);
    return out;
}

static struct entry *find(struct throttle *t, const char *address)
{
    for (size_t i = 0; i < THROTTLE_MAX_ADDRESSES; i++) {
        if (t->list[i].failures > 0 && strcmp(t->list[i].address, address) == 0)
            return &t->list[i];
    }
    return NULL;
}

static int64_t delay_ms(unsigned failures)
{
    if (failures >= THROTTLE_LOCKOUT_FAILURES)
        return THROTTLE_LOCKOUT_MS;
    if (failures < THROTTLE_FREE_FAILURES)
        return 0;
    int64_t d = 1000;
    for (unsigned i = THROTTLE_FREE_FAILURES; i < failures && d < THROTTLE_MAX_DELAY_MS; i++)
        d *= 2;
    return d < THROTTLE_MAX_DELAY_MS ? d : THROTTLE_MAX_DELAY_MS;
}

int64_t throttle_wait_ms(struct throttle *t, const char *address, int64_t now_us)
{
    char key[64];
    address = key_of(address, key, sizeof(key));
    struct entry *e = find(t, address);
    if (e == NULL)
        return 0;
    int64_t until_us = e->last_failure_us + delay_ms(e->failures) * 1000;
    if (now_us >= until_us) {
        if (e->failures >= THROTTLE_LOCKOUT_FAILURES)
            memset(e, 0, sizeof(*e)); /* the lockout is over: start afresh */
        return 0;
    }
    return (until_us - now_us + 999) / 1000;
}

unsigned throttle_fail(struct throttle *t, const char *address, int64_t now_us)
{
    char key[64];
    address = key_of(address, key, sizeof(key));
    struct entry *e = find(t, address);
    if (e == NULL) {
        /* A free slot, else the one whose last failure is oldest. */
        e = &t->list[0];
        for (size_t i = 0; i < THROTTLE_MAX_ADDRESSES; i++) {
            if (t->list[i].failures == 0) {
                e = &t->list[i];
                break;
            }
            if (t->list[i].last_failure_us < e->last_failure_us)
                e = &t->list[i];
        }
        memset(e, 0, sizeof(*e));
        snprintf(e->address, sizeof(e->address), "%s", address);
    }
    e->failures++;
    e->last_failure_us = now_us;
    return e->failures;
}

int throttle_has_failed(struct throttle *t, const char *address)
{
    char key[64];
    return find(t, key_of(address, key, sizeof(key))) != NULL;
}

/* The address's rate entry; else a free or finished one; else the one whose window is oldest. */
static struct rate *rate_slot(struct throttle *t, const char *address, int64_t now_us)
{
    const int64_t window_us = (int64_t)THROTTLE_CHECK_WINDOW_MS * 1000;
    for (size_t i = 0; i < THROTTLE_MAX_ADDRESSES; i++) {
        if (t->rates[i].checks > 0 && strcmp(t->rates[i].address, address) == 0)
            return &t->rates[i];
    }
    struct rate *spare = &t->rates[0];
    for (size_t i = 0; i < THROTTLE_MAX_ADDRESSES; i++) {
        struct rate *x = &t->rates[i];
        if (x->checks == 0 || now_us - x->window_us >= window_us) {
            spare = x;
            break;
        }
        if (x->window_us < spare->window_us)
            spare = x;
    }
    memset(spare, 0, sizeof(*spare));
    snprintf(spare->address, sizeof(spare->address), "%s", address);
    spare->window_us = now_us;
    return spare;
}

int64_t throttle_take_check(struct throttle *t, const char *address, int64_t now_us)
{
    char key[64];
    struct rate *r = rate_slot(t, key_of(address, key, sizeof(key)), now_us);
    const int64_t window_us = (int64_t)THROTTLE_CHECK_WINDOW_MS * 1000;
    if (now_us - r->window_us >= window_us) {
        r->window_us = now_us;
        r->checks = 0;
    }
    if (r->checks >= THROTTLE_CHECKS_PER_WINDOW)
        return (r->window_us + window_us - now_us + 999) / 1000;
    r->checks++;
    return 0;
}

void throttle_succeed(struct throttle *t, const char *address)
{
    char key[64];
    address = key_of(address, key, sizeof(key));
    struct entry *e = find(t, address);
    if (e != NULL)
        memset(e, 0, sizeof(*e));
}
