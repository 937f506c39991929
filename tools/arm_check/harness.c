/* ARM build check harness: runs the firmware_stubs C kernels on cases read from a file.
 *
 * Usage: harness INPUT OUTPUT [portable]
 *
 * INPUT (all integers little-endian): "ARMCHK01", u32 case count, then per case: u8 op,
 * u8 parameter count, that many i64 parameters, u32 payload length, the payload.
 * OUTPUT: "ARMOUT01", u8 count of strings (arch, RS path, SECDED path, interleaved SECDED
 * path) each as u8 length + text, u32 case count, then per case: u32 case index, u32 result
 * length, the result. The layout of each op's parameters, payload and result is the one
 * tools/arm_check/protocol.py writes and reads; integers are assembled octet by octet so the
 * file means the same on any byte order. "portable" forces the portable SECDED paths.
 * Malformed input or invalid parameters: a message on stderr and exit status 2. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bch.h"
#include "crc16.h"
#include "crc32c.h"
#include "rs.h"
#include "secded.h"

#if defined(__aarch64__)
#define ARCH "aarch64"
#elif defined(__arm__)
#define ARCH "arm"
#elif defined(__x86_64__)
#define ARCH "x86_64"
#elif defined(__i386__)
#define ARCH "i386"
#else
#define ARCH "other"
#endif

enum {
    OP_CRC16 = 1,
    OP_CRC32C = 2,
    OP_BCH_ENCODE = 3,
    OP_BCH_DECODE = 4,
    OP_RS_GENERATOR = 5,
    OP_RS_TRANSLATE = 6,
    OP_RS_ENCODE = 7,
    OP_RS_CHECK = 8,
    OP_RS_DECODE = 9,
    OP_SECDED_ENCODE = 10,
    OP_SECDED_CHECK = 11,
    OP_SECDED_ENCODE_IL = 12,
    OP_SECDED_CHECK_IL = 13,
};

#define MAX_PARAMS 255
#define MAX_PAYLOAD (64u << 20)
#define RS_N 255
#define ALIGN_SLACK 16

typedef struct {
    const uint8_t *data;
    size_t len, at;
} reader;

typedef struct {
    uint8_t *data;
    size_t len, cap;
} buffer;

static void fail(const char *what, unsigned long index)
{
    fprintf(stderr, "harness: case %lu: %s\n", index, what);
    exit(2);
}

static void *checked_alloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p) {
        fprintf(stderr, "harness: out of memory (%lu octets)\n", (unsigned long)size);
        exit(2);
    }
    return p;
}

static const uint8_t *take(reader *r, size_t n, unsigned long index)
{
    if (r->len - r->at < n)
        fail("input truncated", index);
    const uint8_t *p = r->data + r->at;
    r->at += n;
    return p;
}

static uint64_t get_le(const uint8_t *p, int octets)
{
    uint64_t v = 0;
    for (int i = octets - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void put(buffer *b, const void *data, size_t n)
{
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap - b->len < n)
            cap *= 2;
        uint8_t *grown = realloc(b->data, cap);
        if (!grown) {
            fprintf(stderr, "harness: out of memory\n");
            exit(2);
        }
        b->data = grown;
        b->cap = cap;
    }
    if (n)
        memcpy(b->data + b->len, data, n);
    b->len += n;
}

static void put_le(buffer *b, uint64_t v, int octets)
{
    uint8_t tmp[8];
    for (int i = 0; i < octets; i++)
        tmp[i] = (uint8_t)(v >> (8 * i));
    put(b, tmp, (size_t)octets);
}

static void put_words(buffer *b, const uint64_t *words, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_le(b, words[i], 8);
}

static uint64_t *load_words(const uint8_t *p, size_t n)
{
    uint64_t *words = checked_alloc(n * sizeof *words);
    for (size_t i = 0; i < n; i++)
        words[i] = get_le(p + 8 * i, 8);
    return words;
}

typedef struct {
    unsigned long index;
    int nparams;
    int64_t params[MAX_PARAMS];
    const uint8_t *payload;
    size_t len;
} test_case;

static int64_t param(const test_case *c, int i)
{
    if (i >= c->nparams)
        fail("missing parameter", c->index);
    return c->params[i];
}

static void need(int ok, const char *what, const test_case *c)
{
    if (!ok)
        fail(what, c->index);
}

/* The payload copied `offset` octets past an aligned address (CRC alignment paths). */
static uint8_t *misaligned_copy(const test_case *c, size_t offset, uint8_t **base)
{
    *base = checked_alloc(c->len + ALIGN_SLACK + 8);
    uint8_t *start = *base + ((ALIGN_SLACK - ((uintptr_t)*base % ALIGN_SLACK)) % ALIGN_SLACK);
    memcpy(start + offset, c->payload, c->len);
    return start + offset;
}

static size_t crc_offset(const test_case *c)
{
    int64_t offset = param(c, 1);
    need(offset >= 0 && offset < 8, "CRC offset must be 0..7", c);
    return (size_t)offset;
}

static void run_crc(const test_case *c, int op, buffer *out)
{
    uint8_t *base;
    uint8_t *data = misaligned_copy(c, crc_offset(c), &base);
    if (op == OP_CRC16)
        put_le(out, fw_crc16_ccitt((uint16_t)param(c, 0), (const char *)data, c->len), 2);
    else
        put_le(out, fw_crc32c((uint32_t)param(c, 0), data, c->len), 4);
    free(base);
}

static void run_bch(const test_case *c, int op, buffer *out)
{
    if (op == OP_BCH_ENCODE) {
        need(c->len % 7 == 0, "BCH information length not a multiple of 7", c);
        size_t nblocks = c->len / 7;
        uint8_t *blocks = checked_alloc(nblocks * 8);
        fw_bch_encode(c->payload, nblocks, blocks);
        put(out, blocks, nblocks * 8);
        free(blocks);
        return;
    }
    int64_t max_blocks = param(c, 0);
    need(max_blocks >= -1, "max_blocks must be >= -1", c);
    size_t nblocks = c->len / 8;
    if (max_blocks >= 0 && (uint64_t)max_blocks < nblocks)
        nblocks = (size_t)max_blocks;
    uint8_t *data = checked_alloc(nblocks * 7);
    size_t corrected = 0;
    int stopped = 0;
    size_t done = fw_bch_decode(c->payload, nblocks, data, &corrected, &stopped);
    put_le(out, done, 4);
    put_le(out, corrected, 4);
    put_le(out, (uint64_t)stopped, 1);
    put(out, data, done * 7);
    free(data);
}

typedef struct {
    int nroots, interleave, dual;
    size_t k, block_len;
} rs_params;

static rs_params rs_read(const test_case *c)
{
    rs_params p = {(int)param(c, 0), (int)param(c, 1), (int)param(c, 2), 0, 0};
    need(p.nroots == 32 || p.nroots == 16, "RS nroots must be 32 or 16", c);
    need(p.interleave == 1 || p.interleave == 2 || p.interleave == 3 || p.interleave == 4 ||
             p.interleave == 5 || p.interleave == 8,
         "RS interleave depth must be 1, 2, 3, 4, 5 or 8", c);
    need(p.dual == 0 || p.dual == 1, "RS dual flag must be 0 or 1", c);
    p.k = (size_t)(RS_N - p.nroots) * (size_t)p.interleave;
    p.block_len = (size_t)RS_N * (size_t)p.interleave;
    return p;
}

static void run_rs_decode(const test_case *c, rs_params p, buffer *out)
{
    need(c->len % p.block_len == 0, "RS codeblock buffer length", c);
    size_t nblocks = c->len / p.block_len, n_erasures = (size_t)(c->nparams - 3);
    int32_t erasures[MAX_PARAMS];
    for (size_t e = 0; e < n_erasures; e++) {
        int64_t at = param(c, 3 + (int)e);
        need(at >= 0 && (uint64_t)at < p.block_len, "RS erasure position out of range", c);
        for (size_t f = 0; f < e; f++)
            need(erasures[f] != (int32_t)at, "RS erasure positions must be distinct", c);
        erasures[e] = (int32_t)at;
    }
    uint8_t *data = checked_alloc(nblocks * p.k), *failed = checked_alloc(nblocks);
    int32_t *corrected = checked_alloc(nblocks * sizeof *corrected);
    size_t bad = fw_rs_decode(c->payload, nblocks, p.nroots, p.interleave, p.dual, erasures,
                              n_erasures, data, corrected, failed);
    put_le(out, bad, 4);
    for (size_t b = 0; b < nblocks; b++) {
        put_le(out, (uint32_t)corrected[b], 4);
        put_le(out, failed[b], 1);
    }
    put(out, data, nblocks * p.k);
    free(data);
    free(failed);
    free(corrected);
}

static void run_rs(const test_case *c, int op, buffer *out)
{
    if (op == OP_RS_GENERATOR) {
        int nroots = (int)param(c, 0);
        need(nroots == 32 || nroots == 16, "RS nroots must be 32 or 16", c);
        uint8_t generator[33];
        fw_rs_generator(nroots, generator);
        put(out, generator, (size_t)nroots + 1);
        return;
    }
    if (op == OP_RS_TRANSLATE) {
        uint8_t *data = checked_alloc(c->len);
        memcpy(data, c->payload, c->len);
        fw_rs_translate(data, c->len, param(c, 0) != 0);
        put(out, data, c->len);
        free(data);
        return;
    }
    rs_params p = rs_read(c);
    if (op == OP_RS_ENCODE) {
        need(c->len % p.k == 0, "RS message length", c);
        size_t nblocks = c->len / p.k;
        uint8_t *blocks = checked_alloc(nblocks * p.block_len);
        fw_rs_encode(c->payload, nblocks, p.nroots, p.interleave, p.dual, blocks);
        put(out, blocks, nblocks * p.block_len);
        free(blocks);
    } else if (op == OP_RS_CHECK) {
        need(c->len % p.block_len == 0, "RS codeblock buffer length", c);
        put_le(out, fw_rs_check(c->payload, c->len / p.block_len, p.nroots, p.interleave,
                                p.dual), 4);
    } else {
        run_rs_decode(c, p, out);
    }
}

/* Counts and reported indices of a SECDED check, as the Python wrapper returns them. */
static void put_report(buffer *out, size_t n_corrected, size_t n_uncorrectable,
                       const int64_t *corrected, const int64_t *uncorrectable, size_t report)
{
    put_le(out, n_corrected, 4);
    put_le(out, n_uncorrectable, 4);
    for (size_t i = 0; i < n_corrected && i < report; i++)
        put_le(out, (uint64_t)corrected[i], 8);
    for (size_t i = 0; i < n_uncorrectable && i < report; i++)
        put_le(out, (uint64_t)uncorrectable[i], 8);
}

static unsigned secded_depth(const test_case *c, size_t n)
{
    int64_t depth = param(c, 0);
    need(depth == 1 || depth == 2 || depth == 4 || depth == 8,
         "SECDED depth must be 1, 2, 4 or 8", c);
    need(n % (size_t)depth == 0, "SECDED word count not whole groups", c);
    return (unsigned)depth;
}

static size_t secded_report(const test_case *c, int at, size_t n)
{
    int64_t max_report = param(c, at);
    need(max_report >= 0, "max_report must be >= 0", c);
    return (uint64_t)max_report < n ? (size_t)max_report : n;
}

static void run_secded_check(const test_case *c, int interleaved, buffer *out)
{
    need(c->len % 9 == 0, "SECDED payload must be 8-octet words then check octets", c);
    size_t n = c->len / 9;
    uint64_t *words = load_words(c->payload, n);
    uint8_t *checks = checked_alloc(n);
    memcpy(checks, c->payload + 8 * n, n);
    unsigned depth = interleaved ? secded_depth(c, n) : 1;
    int correct = param(c, interleaved) != 0;
    size_t report = secded_report(c, interleaved + 1, n), n_corr = 0, n_unc = 0;
    int want_logical = interleaved && param(c, 3) != 0;
    int64_t *corrected = checked_alloc(report * sizeof *corrected);
    int64_t *uncorrectable = checked_alloc(report * sizeof *uncorrectable);
    uint64_t *logical = want_logical ? checked_alloc(n * sizeof *logical) : NULL;
    if (interleaved)
        fw_secded_check_il(words, checks, n, depth, correct, logical,
                           report ? corrected : NULL, report ? uncorrectable : NULL, report,
                           &n_corr, &n_unc);
    else
        fw_secded_check(words, checks, n, correct, corrected, uncorrectable, report, &n_corr,
                        &n_unc);
    put_report(out, n_corr, n_unc, corrected, uncorrectable, report);
    if (logical)
        put_words(out, logical, n);
    put_words(out, words, n);
    put(out, checks, n);
    free(words);
    free(checks);
    free(corrected);
    free(uncorrectable);
    free(logical);
}

static void run_secded(const test_case *c, int op, buffer *out)
{
    if (op == OP_SECDED_CHECK || op == OP_SECDED_CHECK_IL) {
        run_secded_check(c, op == OP_SECDED_CHECK_IL, out);
        return;
    }
    need(c->len % 8 == 0, "SECDED payload must be whole 8-octet words", c);
    size_t n = c->len / 8;
    uint64_t *words = load_words(c->payload, n);
    uint8_t *checks = checked_alloc(n);
    if (op == OP_SECDED_ENCODE) {
        fw_secded_encode(words, n, checks);
        put(out, checks, n);
    } else {
        unsigned depth = secded_depth(c, n);
        int in_place = param(c, 1) != 0;
        uint64_t *phys = in_place ? words : checked_alloc(n * sizeof *phys);
        fw_secded_encode_il(words, n, depth, phys, checks);
        put_words(out, phys, n);
        put(out, checks, n);
        if (!in_place)
            free(phys);
    }
    free(words);
    free(checks);
}

static void run_case(const test_case *c, int op, buffer *out)
{
    switch (op) {
    case OP_CRC16:
    case OP_CRC32C: run_crc(c, op, out); break;
    case OP_BCH_ENCODE:
    case OP_BCH_DECODE: run_bch(c, op, out); break;
    case OP_RS_GENERATOR:
    case OP_RS_TRANSLATE:
    case OP_RS_ENCODE:
    case OP_RS_CHECK:
    case OP_RS_DECODE: run_rs(c, op, out); break;
    case OP_SECDED_ENCODE:
    case OP_SECDED_CHECK:
    case OP_SECDED_ENCODE_IL:
    case OP_SECDED_CHECK_IL: run_secded(c, op, out); break;
    default: fail("unknown op", c->index);
    }
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "harness: cannot open %s\n", path);
        exit(2);
    }
    buffer b = {NULL, 0, 0};
    uint8_t chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        put(&b, chunk, got);
    fclose(f);
    *len = b.len;
    return b.data;
}

static void put_string(buffer *out, const char *text)
{
    size_t n = strlen(text);
    put_le(out, n, 1);
    put(out, text, n);
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "portable") != 0)) {
        fprintf(stderr, "usage: harness INPUT OUTPUT [portable]\n");
        return 2;
    }
    fw_bch_init();
    fw_rs_init();
    fw_secded_init();
    if (argc == 4) {
        fw_secded_select(0);
        fw_secded_il_select(0);
    }
    size_t len;
    uint8_t *input = read_file(argv[1], &len);
    reader r = {input, len, 0};
    if (memcmp(take(&r, 8, 0), "ARMCHK01", 8) != 0)
        fail("bad magic", 0);
    uint32_t count = (uint32_t)get_le(take(&r, 4, 0), 4);
    buffer out = {NULL, 0, 0};
    put(&out, "ARMOUT01", 8);
    put_le(&out, 4, 1);
    put_string(&out, ARCH);
    put_string(&out, fw_rs_path());
    put_string(&out, fw_secded_path());
    put_string(&out, fw_secded_il_path());
    put_le(&out, count, 4);
    buffer result = {NULL, 0, 0};
    test_case c;
    for (uint32_t i = 0; i < count; i++) {
        c.index = i;
        int op = take(&r, 1, i)[0];
        c.nparams = take(&r, 1, i)[0];
        for (int p = 0; p < c.nparams; p++)
            c.params[p] = (int64_t)get_le(take(&r, 8, i), 8);
        c.len = (size_t)get_le(take(&r, 4, i), 4);
        need(c.len <= MAX_PAYLOAD, "payload too large", &c);
        c.payload = take(&r, c.len, i);
        result.len = 0;
        run_case(&c, op, &result);
        put_le(&out, i, 4);
        put_le(&out, result.len, 4);
        put(&out, result.data, result.len);
    }
    if (r.at != r.len)
        fail("trailing octets after the last case", count);
    FILE *f = fopen(argv[2], "wb");
    if (!f || fwrite(out.data, 1, out.len, f) != out.len || fclose(f) != 0) {
        fprintf(stderr, "harness: cannot write %s\n", argv[2]);
        return 2;
    }
    free(input);
    free(out.data);
    free(result.data);
    return 0;
}
