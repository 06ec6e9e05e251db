#include "ws_key.h"

#include <errno.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

/* RFC 6455 §1.3: the GUID every server appends to the client's key. */
static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

int ws_key_new(char out[WS_KEY_SIZE])
{
    unsigned char nonce[16];
    if (RAND_bytes(nonce, sizeof(nonce)) != 1)
        return -EIO;
    EVP_EncodeBlock((unsigned char *)out, nonce, sizeof(nonce)); /* 24 characters + NUL */
    return 0;
}

int ws_key_accept(const char *key, char out[WS_ACCEPT_SIZE])
{
    if (strlen(key) != 24 || key[22] != '=' || key[23] != '=')
        return -EINVAL;
    unsigned char raw[24];
    /* EVP_DecodeBlock counts the padding as zero bytes: 24 characters give 18 bytes. */
    if (EVP_DecodeBlock(raw, (const unsigned char *)key, 24) != 18)
        return -EINVAL;
    char joined[24 + sizeof(ws_guid)];
    memcpy(joined, key, 24);
    memcpy(joined + 24, ws_guid, sizeof(ws_guid));
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)joined, 24 + sizeof(ws_guid) - 1, digest);
    EVP_EncodeBlock((unsigned char *)out, digest, sizeof(digest)); /* 28 characters + NUL */
    return 0;
}
