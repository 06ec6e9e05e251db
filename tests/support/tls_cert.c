#include "tls_cert.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* Fill in and sign x for pkey. Returns 0 or -1. */
static int build(X509 *x, EVP_PKEY *pkey, long serial)
{
    X509_NAME *name = X509_get_subject_name(x);
    if (X509_set_version(x, 2) != 1 || ASN1_INTEGER_set(X509_get_serialNumber(x), serial) != 1 ||
        X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
        X509_gmtime_adj(X509_getm_notAfter(x), 2L * 24 * 3600) == NULL ||
        X509_set_pubkey(x, pkey) != 1 ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"127.0.0.1", -1,
                                   -1, 0) != 1 ||
        X509_set_issuer_name(x, name) != 1)
        return -1;
    static const struct {
        int nid;
        const char *value;
    } exts[] = {{NID_subject_alt_name, "IP:127.0.0.1"},
                {NID_basic_constraints, "critical,CA:TRUE"},
                {NID_subject_key_identifier, "hash"}};
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
        X509_EXTENSION *e = X509V3_EXT_nconf_nid(NULL, &ctx, exts[i].nid, exts[i].value);
        int ok = e != NULL && X509_add_ext(x, e, -1) == 1;
        X509_EXTENSION_free(e);
        if (!ok)
            return -1;
    }
    return X509_sign(x, pkey, EVP_sha256()) > 0 ? 0 : -1;
}

int ts_tls_cert_make(const char *cert_path, const char *key_path, long serial)
{
    int rc = -EIO;
    EVP_PKEY *pkey = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    FILE *kf = NULL, *cf = NULL;
    if (pkey == NULL || x == NULL || build(x, pkey, serial) < 0)
        goto out;
    int kfd = open(key_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (kfd < 0)
        goto out;
    kf = fdopen(kfd, "w");
    if (kf == NULL) {
        close(kfd);
        goto out;
    }
    cf = fopen(cert_path, "w");
    if (cf != NULL && PEM_write_PrivateKey(kf, pkey, NULL, NULL, 0, NULL, NULL) == 1 &&
        PEM_write_X509(cf, x) == 1)
        rc = 0;
out:
    if (kf != NULL && fclose(kf) != 0)
        rc = -EIO;
    if (cf != NULL && fclose(cf) != 0)
        rc = -EIO;
    X509_free(x);
    EVP_PKEY_free(pkey);
    return rc;
}
