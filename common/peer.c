#include "peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <event2/http.h>

const char *peer_normalize(const char *addr, char *out, size_t out_size)
{
    struct in6_addr a6;
    char v4[INET_ADDRSTRLEN];
    /* inet_pton accepts every spelling (::ffff:1.2.3.4, ::FFFF:0102:0304, 0:0:0:0:0:ffff:...). */
    if (strchr(addr, ':') != NULL && inet_pton(AF_INET6, addr, &a6) == 1 &&
        IN6_IS_ADDR_V4MAPPED(&a6) && inet_ntop(AF_INET, a6.s6_addr + 12, v4, sizeof(v4)) != NULL)
        addr = v4;
    snprintf(out, out_size, "%s", addr);
    return out;
}

const char *peer_address(struct evhttp_connection *conn, char *out, size_t out_size)
{
    char *addr = NULL;
    ev_uint16_t port = 0;
    if (conn != NULL)
        evhttp_connection_get_peer(conn, &addr, &port);
    return peer_normalize(addr != NULL ? addr : "?", out, out_size);
}
