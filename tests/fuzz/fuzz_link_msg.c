/*
 * libFuzzer target for the node link's control messages: core/link_msg's reader (the relay
 * reads every text message a node sends with it) and node/node_link (what a node does with the
 * relay's). The input sits in a buffer of exactly its size, so any read past it is caught by
 * ASan. Whatever the input: a parse either succeeds with a known type or fails with a reason,
 * an error text is one line, and every answer the node writes parses back as a "moved" with
 * the move's id.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "link_msg.h"
#include "node.h"
#include "node_link.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size > 0 ? size : 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    struct link_msg m;
    const char *reason = NULL;
    int rc = link_msg_parse(text, size, &m, &reason);
    if (rc < 0 && (reason == NULL || reason[0] == '\0'))
        abort();
    if (rc == 0 && (memchr(m.error, '\0', sizeof(m.error)) == NULL || strchr(m.error, '\n')))
        abort();

    struct node node;
    struct node_config cfg = node_config_default();
    if (node_init(&node, &cfg, 0) != 0)
        abort();
    char reply[LINK_MSG_MAX_BYTES];
    struct node_link_action act;
    if (node_link_handle(&node, text, size, 1000, reply, sizeof(reply), &act, &reason) == 0 &&
        act.has_reply) {
        struct link_msg back;
        if (link_msg_parse(reply, act.reply_len, &back, &reason) != 0 ||
            back.type != LINK_MSG_MOVED || !back.has_id || back.id != m.id || !back.has_status)
            abort();
    }
    free(text);
    return 0;
}
