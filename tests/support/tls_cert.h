#pragma once
/*
 * tls_cert: throwaway certificates for integration tests that speak HTTPS on loopback.
 */

/*
 * Write a new self-signed certificate for 127.0.0.1 to cert_path and its private key to
 * key_path (mode 0600), both PEM, replacing the files: a P-256 key, SHA-256, subject and
 * issuer CN=127.0.0.1, subjectAltName IP:127.0.0.1, CA:TRUE, valid from an hour ago for two
 * days. What `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes
 * -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1` makes, so a client can trust
 * it with `curl --cacert cert_path`. Each call makes a new key; serial tells two apart.
 * Returns 0, or -EIO if OpenSSL or a file write failed.
 */
int ts_tls_cert_make(const char *cert_path, const char *key_path, long serial);
