/*
 * embed: turn the files of web/ into a C source file that defines the table declared in
 * common/web_assets.h, so the relay serves its page without reading anything from disk.
 *
 *   embed OUT.c web/index.html web/app.js web/app.css ...
 *
 * Each file becomes one static byte array; its URL path is "/" plus its base name, and its
 * Content-Type comes from its extension (a file type we do not know is an error, so a new kind
 * of asset gets a deliberate entry here rather than a guess). The output is written to OUT.c.tmp
 * and renamed over OUT.c only when complete, so a failed run never leaves a half-written file
 * for make to mistake for an up-to-date one.
 *
 * A host tool built before everything else: plain C11 and the C library only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Far above any page we would ship; a larger input is a mistake in web/, not an asset. */
#define EMBED_MAX_FILE_BYTES (16u * 1024u * 1024u)
#define EMBED_MAX_NAME 128
#define EMBED_BYTES_PER_LINE 16

struct asset {
    const char *file; /* as given on the command line */
    char path[EMBED_MAX_NAME + 2];
    const char *content_type;
    unsigned char *data;
    size_t size;
};

static const struct {
    const char *ext;
    const char *content_type;
} content_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
};

static const char *base_name(const char *file)
{
    const char *slash = strrchr(file, '/');
    return slash ? slash + 1 : file;
}

static const char *content_type_for(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(content_types) / sizeof(content_types[0]); i++) {
        if (strcmp(dot, content_types[i].ext) == 0)
            return content_types[i].content_type;
    }
    return NULL;
}

/*
 * The name becomes a URL path and a C string literal: allowing only these characters means it
 * needs no escaping in either place.
 */
static int is_safe_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > EMBED_MAX_NAME || name[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '-' || c == '_';
        if (!ok)
            return 0;
    }
    return 1;
}

/* Read the whole file into a->data. Returns 0, or prints why not and returns -1. */
static int read_file(struct asset *a)
{
    FILE *f = fopen(a->file, "rb");
    if (f == NULL) {
        fprintf(stderr, "embed: %s: %s\n", a->file, strerror(errno));
        return -1;
    }
    size_t cap = 4096;
    unsigned char *buf = malloc(cap);
    size_t len = 0;
    int rc = 0;
    while (buf != NULL) {
        if (len == cap) {
            if (cap >= EMBED_MAX_FILE_BYTES) {
                fprintf(stderr, "embed: %s: larger than %u bytes\n", a->file, EMBED_MAX_FILE_BYTES);
                rc = -1;
                break;
            }
            unsigned char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f)) {
                fprintf(stderr, "embed: %s: read error: %s\n", a->file, strerror(errno));
                rc = -1;
            }
            break;
        }
    }
    if (buf == NULL) {
        fprintf(stderr, "embed: %s: out of memory\n", a->file);
        rc = -1;
    }
    fclose(f);
    if (rc < 0) {
        free(buf);
        return -1;
    }
    a->data = buf;
    a->size = len;
    return 0;
}

static int load_asset(struct asset *a, const char *file, const struct asset *earlier, int n_earlier)
{
    const char *name = base_name(file);
    a->file = file;
    if (!is_safe_name(name)) {
        fprintf(stderr, "embed: %s: file name must be [A-Za-z0-9._-], not starting with '.'\n",
                file);
        return -1;
    }
    a->content_type = content_type_for(name);
    if (a->content_type == NULL) {
        fprintf(stderr, "embed: %s: unknown file type (known: .html .js .css .svg)\n", file);
        return -1;
    }
    snprintf(a->path, sizeof(a->path), "/%s", name);
    for (int i = 0; i < n_earlier; i++) {
        if (strcmp(earlier[i].path, a->path) == 0) {
            fprintf(stderr, "embed: %s: same URL path %s as %s\n", file, a->path, earlier[i].file);
            return -1;
        }
    }
    return read_file(a);
}

static void write_array(FILE *out, int index, const struct asset *a)
{
    fprintf(out, "/* %s (%lu B) */\n", a->file, (unsigned long)a->size);
    /* A zero-length array is not C; an empty file still gets one byte that size 0 hides. */
    fprintf(out, "static const unsigned char asset_%d[%lu] = {", index,
            (unsigned long)(a->size ? a->size : 1));
    if (a->size == 0) {
        fputs("0x00};\n\n", out);
        return;
    }
    for (size_t i = 0; i < a->size; i++) {
        if (i % EMBED_BYTES_PER_LINE == 0)
            fputs("\n   ", out);
        fprintf(out, " 0x%02x,", a->data[i]);
    }
    fputs("\n};\n\n", out);
}

static void write_source(FILE *out, const struct asset *assets, int n)
{
    fputs("/* Generated by tools/embed from web/; do not edit. See common/web_assets.h. */\n"
          "#include \"web_assets.h\"\n"
          "\n"
          "#include <string.h>\n"
          "\n",
          out);
    for (int i = 0; i < n; i++)
        write_array(out, i, &assets[i]);

    if (n == 0) {
        /* No files: keep the table a valid (one-element) array, with a count of zero. */
        fputs("const struct web_asset web_assets[1] = {{NULL, NULL, NULL, 0}};\n"
              "const size_t web_assets_count = 0;\n\n",
              out);
    } else {
        fputs("const struct web_asset web_assets[] = {\n", out);
        for (int i = 0; i < n; i++) {
            fprintf(out, "    {\"%s\", \"%s\", asset_%d, %lu},\n", assets[i].path,
                    assets[i].content_type, i, (unsigned long)assets[i].size);
        }
        fputs("};\n"
              "const size_t web_assets_count = sizeof(web_assets) / sizeof(web_assets[0]);\n\n",
              out);
    }

    fputs("const struct web_asset *web_asset_find(const char *path)\n"
          "{\n"
          "    if (path == NULL)\n"
          "        return NULL;\n"
          "    if (strcmp(path, \"/\") == 0)\n"
          "        path = \"/index.html\";\n"
          "    for (size_t i = 0; i < web_assets_count; i++) {\n"
          "        if (strcmp(web_assets[i].path, path) == 0)\n"
          "            return &web_assets[i];\n"
          "    }\n"
          "    return NULL;\n"
          "}\n",
          out);
}

/* Write the generated file to out_path via a temporary file. Returns 0, or prints why not. */
static int write_output(const char *out_path, const struct asset *assets, int n)
{
    size_t len = strlen(out_path);
    char *tmp = malloc(len + sizeof(".tmp"));
    if (tmp == NULL) {
        fprintf(stderr, "embed: out of memory\n");
        return -1;
    }
    memcpy(tmp, out_path, len);
    memcpy(tmp + len, ".tmp", sizeof(".tmp"));

    int rc = -1;
    FILE *out = fopen(tmp, "w");
    if (out == NULL) {
        fprintf(stderr, "embed: %s: %s\n", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    write_source(out, assets, n);
    /* fprintf errors are sticky: one check of ferror and fclose covers every write above. */
    int write_failed = ferror(out);
    if (fclose(out) != 0 || write_failed) {
        fprintf(stderr, "embed: %s: write error: %s\n", tmp, strerror(errno));
    } else if (rename(tmp, out_path) != 0) {
        fprintf(stderr, "embed: rename %s to %s: %s\n", tmp, out_path, strerror(errno));
    } else {
        rc = 0;
    }
    if (rc < 0)
        remove(tmp);
    free(tmp);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: embed OUT.c FILE...\n");
        return 2;
    }
    int n = argc - 2;
    struct asset *assets = calloc(n ? (size_t)n : 1, sizeof(*assets));
    if (assets == NULL) {
        fprintf(stderr, "embed: out of memory\n");
        return 1;
    }
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        rc = load_asset(&assets[i], argv[i + 2], assets, i);
    if (rc == 0)
        rc = write_output(argv[1], assets, n);
    for (int i = 0; i < n; i++)
        free(assets[i].data);
    free(assets);
    return rc == 0 ? 0 : 1;
}
