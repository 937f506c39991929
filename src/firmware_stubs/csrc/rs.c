/* Reed-Solomon codec of CCSDS 131.0-B-5 section 4: RS(255,223) E=16 and RS(255,239) E=8.
 *
 * GF(2^8) with field polynomial F(x) = x^8+x^7+x^2+x+1 (4.3.2.1, 0x187); code generator
 * g(x) = prod (x - alpha^(11j)), j = 128-E .. 127+E (4.3.2.2), i.e. the roots are consecutive
 * powers gamma^j of gamma = alpha^11, starting at j = fcr = 128-E. Interleave depth I puts
 * symbol j of codeword i at octet j*I+i (4.3.5). The Berlekamp dual basis of 4.3.8 / Annex F
 * is handled by element-wise translation at the edges; the arithmetic is conventional.
 *
 * Encoding is a systematic LFSR (remainder of m(x)*x^2E by g(x)) that keeps the 2E-octet
 * register in SSE2 registers (x86-64) or 64-bit words (portable path) and XORs one
 * precomputed row per feedback value; several codewords run side by side. The clean check
 * compares that remainder with the received check symbols. Decoding takes the syndromes
 * from the remainder, then Berlekamp-Massey with erasures, Chien search and Forney; a
 * correction is applied only when the locator has exactly as many roots as its degree and
 * the error pattern found reproduces all 2E syndromes (so the result is a codeword). */
#include "rs.h"

#include <string.h>

#if defined(__SSE2__) && !defined(RS_PORTABLE)
#include <emmintrin.h> /* baseline on x86-64: no run-time dispatch needed */
#define RS_SSE2 1
#define RS_PATH "sse2"
#define LANES 6 /* codewords encoded side by side, to overlap their dependency chains */
#else
#define RS_PATH "portable"
#define LANES 4
#endif

#define NN 255
#define FIELD_POLY 0x187u
#define ROOT_STEP 11 /* gamma = alpha^11 */
#define MAX_ROOTS 32
#define MAX_WORDS (MAX_ROOTS / 8)

#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

typedef struct {
    int nroots;
    int fcr;
    uint8_t generator[MAX_ROOTS + 1];     /* coefficient of x^(nroots - i) at index i */
    uint8_t root_log[MAX_ROOTS];          /* log_alpha of gamma^(fcr + j) */
    uint8_t power_log[MAX_ROOTS][MAX_ROOTS]; /* log of (gamma^(fcr+j))^(2E-1-t) at [j][t] */
    uint8_t chien_step[MAX_ROOTS + 1][256];  /* v * gamma^-i at [i][v] */
#ifdef RS_SSE2
    _Alignas(16) uint8_t rows[256][MAX_ROOTS]; /* fb * (g(x) - x^2E), x^(2E-1) first */
#else
    uint64_t rows[256][MAX_WORDS];        /* fb * (g(x) - x^2E), big-endian in 64-bit words */
#endif
} rs_code;

/* log(0) is LOG_ZERO, so that any sum of two logs involving it indexes a 0 in gf_exp: the
 * multiplications below need no branch and no reduction modulo 255. */
#define LOG_ZERO 512
static uint8_t gf_exp[2 * LOG_ZERO + 1]; /* alpha^i for i < 510, 0 from LOG_ZERO on */
static uint16_t gf_log[256];
static uint8_t conv_to_dual[256], dual_to_conv[256], identity[256];
static rs_code codes[2]; /* [0]: E=16 (32 roots), [1]: E=8 (16 roots) */

/* Rows of the conventional -> Berlekamp transformation, T of CCSDS 131.0-B-5 Annex F:
 * the dual-basis image of bit k (value 1 << k) of a conventional symbol is row 7-k. */
static const uint8_t dual_rows[8] = {0x8d, 0xef, 0xec, 0x86, 0xfa, 0x99, 0xaf, 0x7b};

static const rs_code *code_for(int nroots) { return &codes[nroots == 16]; }

static uint8_t gf_mul(uint8_t a, uint8_t b) { return gf_exp[gf_log[a] + gf_log[b]]; }

static uint8_t gf_div(uint8_t a, uint8_t b) /* b != 0 */
{
    return gf_exp[gf_log[a] + NN - gf_log[b]];
}

static unsigned gamma_log(long power) /* log_alpha of gamma^power, any sign */
{
    long l = (power * ROOT_STEP) % NN;
    return (unsigned)(l < 0 ? l + NN : l);
}

static void build_code(rs_code *code, int nroots)
{
    uint8_t ascending[MAX_ROOTS + 1] = {1}; /* g(x), coefficient of x^i at i */
    code->nroots = nroots;
    code->fcr = 128 - nroots / 2;
    for (int j = 0; j < nroots; j++) {
        unsigned root = gamma_log(code->fcr + j);
        code->root_log[j] = (uint8_t)root;
        for (int t = 0; t < nroots; t++)
            code->power_log[j][t] = (uint8_t)(root * (unsigned)(nroots - 1 - t) % NN);
        for (int i = j + 1; i > 0; i--)
            ascending[i] = ascending[i - 1] ^ gf_mul(ascending[i], gf_exp[root]);
        ascending[0] = gf_mul(ascending[0], gf_exp[root]);
    }
    for (int i = 0; i <= nroots; i++) {
        code->generator[i] = ascending[nroots - i];
        for (unsigned v = 0; v < 256; v++)
            code->chien_step[i][v] = gf_mul((uint8_t)v, gf_exp[gamma_log(-(long)i)]);
    }
    for (unsigned fb = 0; fb < 256; fb++) {
        memset(code->rows[fb], 0, sizeof code->rows[fb]);
        for (int t = 0; t < nroots; t++) {
            uint8_t term = gf_mul((uint8_t)fb, code->generator[t + 1]);
#ifdef RS_SSE2
            code->rows[fb][t] = term;
#else
            code->rows[fb][t / 8] |= (uint64_t)term << (56 - 8 * (t % 8));
#endif
        }
    }
}

void fw_rs_init(void)
{
    unsigned x = 1;
    gf_log[0] = LOG_ZERO;
    for (int i = 0; i < NN; i++) {
        gf_exp[i] = gf_exp[i + NN] = (uint8_t)x;
        gf_log[x] = (uint16_t)i;
        x <<= 1;
        if (x & 0x100u)
            x ^= FIELD_POLY;
    }
    for (unsigned v = 0; v < 256; v++) {
        uint8_t dual = 0;
        for (int k = 0; k < 8; k++)
            if (v & (1u << k))
                dual ^= dual_rows[7 - k];
        conv_to_dual[v] = dual;
        dual_to_conv[dual] = (uint8_t)v;
        identity[v] = (uint8_t)v;
    }
    build_code(&codes[0], 32);
    build_code(&codes[1], 16);
}

const char *fw_rs_path(void) { return RS_PATH; }

void fw_rs_generator(int nroots, uint8_t *out)
{
    memcpy(out, code_for(nroots)->generator, (size_t)nroots + 1);
}

void fw_rs_translate(uint8_t *data, size_t len, int to_dual)
{
    const uint8_t *table = to_dual ? conv_to_dual : dual_to_conv;
    for (size_t i = 0; i < len; i++)
        data[i] = table[data[i]];
}

/* Remainders (conventional, x^(2E-1) first) of m(x)*x^2E / g(x) for LANES messages of k
 * symbols at msg[l], msg[l] + stride, ...; xlat maps received symbols to conventional.
 * `words` is the register size in 64-bit words (2E / 8). */
#ifdef RS_SSE2
static ALWAYS_INLINE void lfsr(const rs_code *code, int words, const uint8_t *const msg[LANES],
                               size_t stride, size_t k, const uint8_t *xlat,
                               uint8_t parity[LANES][MAX_ROOTS])
{
    /* the register is 1 or 2 SSE registers, x^(2E-1) in byte 0: a step shifts it down one
     * byte and XORs the feedback row */
    __m128i lo[LANES], hi[LANES];
    for (int l = 0; l < LANES; l++)
        lo[l] = hi[l] = _mm_setzero_si128();
    for (size_t j = 0, at = 0; j < k; j++, at += stride) {
        for (int l = 0; l < LANES; l++) {
            unsigned fb = ((unsigned)_mm_cvtsi128_si32(lo[l]) & 0xFFu) ^ xlat[msg[l][at]];
            const __m128i *row = (const __m128i *)code->rows[fb];
            if (words == 4) {
                lo[l] = _mm_or_si128(_mm_srli_si128(lo[l], 1), _mm_slli_si128(hi[l], 15));
                hi[l] = _mm_xor_si128(_mm_srli_si128(hi[l], 1), _mm_load_si128(row + 1));
            } else {
                lo[l] = _mm_srli_si128(lo[l], 1);
            }
            lo[l] = _mm_xor_si128(lo[l], _mm_load_si128(row));
        }
    }
    for (int l = 0; l < LANES; l++) {
        _mm_storeu_si128((__m128i *)parity[l], lo[l]);
        if (words == 4)
            _mm_storeu_si128((__m128i *)(parity[l] + 16), hi[l]);
    }
}
#else
static ALWAYS_INLINE void lfsr(const rs_code *code, int words, const uint8_t *const msg[LANES],
                               size_t stride, size_t k, const uint8_t *xlat,
                               uint8_t parity[LANES][MAX_ROOTS])
{
    uint64_t reg[LANES][MAX_WORDS] = {{0}};
    for (size_t j = 0, at = 0; j < k; j++, at += stride) {
        for (int l = 0; l < LANES; l++) {
            unsigned fb = (unsigned)(reg[l][0] >> 56) ^ xlat[msg[l][at]];
            const uint64_t *row = code->rows[fb];
            for (int q = 0; q < words - 1; q++)
                reg[l][q] = (reg[l][q] << 8 | reg[l][q + 1] >> 56) ^ row[q];
            reg[l][words - 1] = (reg[l][words - 1] << 8) ^ row[words - 1];
        }
    }
    for (int l = 0; l < LANES; l++)
        for (int t = 0; t < 8 * words; t++)
            parity[l][t] = (uint8_t)(reg[l][t / 8] >> (56 - 8 * (t % 8)));
}
#endif

/* The remainders of LANES messages, the register specialised to the code's size. */
static void parity_lanes(const rs_code *code, const uint8_t *const msg[LANES], size_t stride,
                         const uint8_t *xlat, uint8_t parity[LANES][MAX_ROOTS])
{
    size_t k = (size_t)(NN - code->nroots);
    if (code->nroots == 32)
        lfsr(code, 4, msg, stride, k, xlat, parity);
    else
        lfsr(code, 2, msg, stride, k, xlat, parity);
}

/* Codeword number c of a buffer of codeblocks of block_len octets: its first symbol. */
static size_t codeword_offset(size_t c, int interleave, size_t block_len)
{
    return (c / (size_t)interleave) * block_len + c % (size_t)interleave;
}

/* First symbols of codewords c .. c+LANES-1 of ncw; lanes past the end repeat the last. */
static void lane_starts(const uint8_t *base, size_t c, size_t ncw, int interleave,
                        size_t block_len, const uint8_t *start[LANES])
{
    for (int l = 0; l < LANES; l++) {
        size_t w = c + (size_t)l < ncw ? c + (size_t)l : ncw - 1;
        start[l] = base + codeword_offset(w, interleave, block_len);
    }
}

void fw_rs_encode(const uint8_t *messages, size_t nblocks, int nroots, int interleave,
                  int dual, uint8_t *out)
{
    const rs_code *code = code_for(nroots);
    const size_t depth = (size_t)interleave, msg_len = (size_t)(NN - nroots) * depth;
    const size_t block_len = NN * depth, ncw = nblocks * depth;
    for (size_t b = 0; b < nblocks; b++)
        memcpy(out + b * block_len, messages + b * msg_len, msg_len);
    for (size_t c = 0; c < ncw; c += LANES) {
        const uint8_t *msg[LANES];
        uint8_t parity[LANES][MAX_ROOTS];
        lane_starts(messages, c, ncw, interleave, msg_len, msg);
        parity_lanes(code, msg, depth, dual ? dual_to_conv : identity, parity);
        for (int l = 0; l < LANES && c + (size_t)l < ncw; l++) {
            uint8_t *dst = out + codeword_offset(c + (size_t)l, interleave, block_len) + msg_len;
            for (int t = 0; t < nroots; t++)
                dst[(size_t)t * depth] = dual ? conv_to_dual[parity[l][t]] : parity[l][t];
        }
    }
}

/* Remainders r(x) = c(x) mod g(x) of LANES received codewords (all zero: codewords). */
static void remainder_lanes(const rs_code *code, const uint8_t *const cw[LANES], size_t depth,
                            const uint8_t *xlat, uint8_t rem[LANES][MAX_ROOTS])
{
    const size_t parity_at = (size_t)(NN - code->nroots) * depth;
    parity_lanes(code, cw, depth, xlat, rem);
    for (int l = 0; l < LANES; l++)
        for (int t = 0; t < code->nroots; t++)
            rem[l][t] ^= xlat[cw[l][parity_at + (size_t)t * depth]];
}

static int is_zero(const uint8_t *data, int len)
{
    uint8_t acc = 0;
    for (int i = 0; i < len; i++)
        acc |= data[i];
    return acc == 0;
}

size_t fw_rs_check(const uint8_t *codeblocks, size_t nblocks, int nroots, int interleave,
                   int dual)
{
    const rs_code *code = code_for(nroots);
    const size_t depth = (size_t)interleave, block_len = NN * depth, ncw = nblocks * depth;
    size_t bad_blocks = 0, last_bad = (size_t)-1;
    for (size_t c = 0; c < ncw; c += LANES) {
        const uint8_t *cw[LANES];
        uint8_t rem[LANES][MAX_ROOTS];
        lane_starts(codeblocks, c, ncw, interleave, block_len, cw);
        remainder_lanes(code, cw, depth, dual ? dual_to_conv : identity, rem);
        for (int l = 0; l < LANES && c + (size_t)l < ncw; l++) {
            size_t block = (c + (size_t)l) / depth;
            if (!is_zero(rem[l], nroots) && block != last_bad) {
                bad_blocks++;
                last_bad = block;
            }
        }
    }
    return bad_blocks;
}

/* Value at x = alpha^xlog of the polynomial p (coefficient of x^i at i, degree < len). */
static uint8_t poly_at(const uint8_t *p, int len, unsigned xlog)
{
    uint8_t acc = 0;
    for (int i = len - 1; i >= 0; i--)
        acc = gf_exp[gf_log[acc] + xlog] ^ p[i];
    return acc;
}

/* S_j = r(gamma^(fcr+j)) of the remainder r(x) (x^(2E-1) first): c(x) and r(x) agree on
 * the roots of g(x), and r has 2E coefficients instead of 255. */
static void syndromes(const rs_code *code, const uint8_t *rem, uint8_t *synd)
{
    uint16_t rem_log[MAX_ROOTS];
    for (int t = 0; t < code->nroots; t++)
        rem_log[t] = gf_log[rem[t]];
    for (int j = 0; j < code->nroots; j++) { /* independent terms, not a Horner chain */
        uint8_t s = 0;
        for (int t = 0; t < code->nroots; t++)
            s ^= gf_exp[rem_log[t] + code->power_log[j][t]];
        synd[j] = s;
    }
}

/* prod (1 + X_e x) over the erasures, X_e = gamma^degree, into lambda (coefficient i at i). */
static void erasure_locator(const int *erasure_degree, int ne, uint8_t *lambda)
{
    lambda[0] = 1;
    for (int e = 0; e < ne; e++) {
        uint8_t x = gf_exp[gamma_log(erasure_degree[e])];
        lambda[e + 1] = 0;
        for (int i = e + 1; i > 0; i--)
            lambda[i] ^= gf_mul(x, lambda[i - 1]);
    }
}

/* Berlekamp-Massey with erasures: the errata locator from the syndromes, starting from the
 * erasure locator in lambda[0..ne]. Returns the degree of the locator. */
static int errata_locator(const uint8_t *synd, int nroots, int ne, uint8_t *lambda)
{
    uint16_t synd_log[MAX_ROOTS];
    uint8_t b[MAX_ROOTS + 2] = {0}, t[MAX_ROOTS + 2];
    int el = ne, lambda_deg = ne, b_deg = ne; /* degree bounds keep the loops short */
    for (int i = 0; i < nroots; i++)
        synd_log[i] = gf_log[synd[i]];
    memcpy(b, lambda, (size_t)ne + 1);
    for (int r = ne; r < nroots; r++) {
        uint8_t delta = 0;
        for (int i = 0; i <= lambda_deg && i <= r; i++)
            delta ^= gf_exp[gf_log[lambda[i]] + synd_log[r - i]];
        if (delta) { /* t(x) = lambda(x) - delta x b(x) */
            unsigned delta_log = gf_log[delta];
            int t_deg = lambda_deg > b_deg + 1 ? lambda_deg : b_deg + 1;
            if (t_deg > nroots)
                t_deg = nroots;
            memset(t, 0, (size_t)t_deg + 1);
            memcpy(t, lambda, (size_t)lambda_deg + 1);
            for (int i = 0; i <= b_deg && i < t_deg; i++)
                t[i + 1] ^= gf_exp[delta_log + gf_log[b[i]]];
            int grow = 2 * el <= r + ne;
            if (grow) { /* b(x) = lambda(x) / delta, not shifted this round */
                el = r + 1 + ne - el;
                for (int i = 0; i <= lambda_deg; i++)
                    b[i] = gf_exp[gf_log[lambda[i]] + NN - delta_log];
                b_deg = lambda_deg;
            }
            memcpy(lambda, t, (size_t)t_deg + 1);
            lambda_deg = t_deg;
            if (grow)
                continue;
        }
        memmove(b + 1, b, (size_t)b_deg + 1); /* b(x) <- x * b(x) */
        b[0] = 0;
        b_deg++;
    }
    while (lambda_deg > 0 && !lambda[lambda_deg])
        lambda_deg--;
    return lambda_deg;
}

/* lambda(gamma^-d) for d = 0 .. 254 into values[d] (Chien search). Term i of lambda is
 * carried from d to d+1 by a multiplication by gamma^-i, a table look-up; four terms go
 * side by side so that their look-up chains overlap. */
static void chien_values(const rs_code *code, const uint8_t *lambda, int degree,
                         uint8_t values[NN])
{
    memset(values, lambda[0], NN);
    for (int i = 1; i <= degree; i += 4) {
        uint8_t v[4];
        const uint8_t *step[4];
        for (int q = 0; q < 4; q++) {
            v[q] = i + q <= degree ? lambda[i + q] : 0; /* a zero term stays zero */
            step[q] = code->chien_step[i + q <= degree ? i + q : 0];
        }
        for (int d = 0; d < NN; d++) {
            values[d] ^= (uint8_t)(v[0] ^ v[1] ^ v[2] ^ v[3]);
            for (int q = 0; q < 4; q++)
                v[q] = step[q][v[q]];
        }
    }
}

/* Chien search for the roots gamma^-d of lambda (an error at degree d, symbol 254-d) and
 * Forney's e = omega(x) x^(fcr-1) / lambda'(x) at each. Returns the roots found, or -1. */
static int chien_forney(const rs_code *code, const uint8_t *lambda, int degree,
                        const uint8_t *omega, int *pos, uint8_t *mag)
{
    uint8_t derivative[MAX_ROOTS]; /* lambda'(x): odd terms, shifted down (characteristic 2) */
    uint8_t values[NN];
    int found = 0;
    for (int i = 0; i < degree; i++)
        derivative[i] = (i % 2 == 0) ? lambda[i + 1] : 0;
    chien_values(code, lambda, degree, values);
    for (int d = 0; d < NN && found < degree; d++) {
        if (values[d])
            continue;
        unsigned xlog = gamma_log(-(long)d);
        uint8_t den = poly_at(derivative, degree, xlog);
        if (!den)
            return -1;
        uint8_t num = poly_at(omega, degree, xlog);
        if (num)
            num = gf_exp[(gf_log[num] + xlog * (unsigned)(code->fcr - 1)) % NN];
        pos[found] = NN - 1 - d;
        mag[found++] = gf_div(num, den);
    }
    return found;
}

/* Whether the error pattern (values mag at degrees NN-1-pos) has the received syndromes, so
 * that removing it leaves a word with zero syndromes: a codeword. */
static int explains_syndromes(const rs_code *code, const uint8_t *synd, const int *pos,
                              const uint8_t *mag, int count)
{
    uint8_t s[MAX_ROOTS] = {0};
    for (int f = 0; f < count; f++) {
        if (!mag[f])
            continue;
        unsigned x_log = gamma_log(NN - 1 - pos[f]); /* X = gamma^degree */
        unsigned term = (gf_log[mag[f]] + x_log * (unsigned)code->fcr) % NN;
        for (int j = 0; j < code->nroots; j++) { /* mag * X^(fcr+j) */
            s[j] ^= gf_exp[term];
            term += x_log;
            if (term >= NN)
                term -= NN;
        }
    }
    return memcmp(s, synd, (size_t)code->nroots) == 0;
}

/* Correct one conventional codeword cw in place given its remainder and erasure degrees.
 * Returns the number of symbols changed, or -1 when the word is not correctable. */
static int correct_codeword(const rs_code *code, uint8_t cw[NN], const uint8_t *rem,
                            const int *erasure_degree, int ne)
{
    const int n = code->nroots;
    uint8_t synd[MAX_ROOTS], lambda[MAX_ROOTS + 2], omega[MAX_ROOTS], mag[MAX_ROOTS];
    int pos[MAX_ROOTS];
    if (ne > n)
        return -1;
    syndromes(code, rem, synd);
    erasure_locator(erasure_degree, ne, lambda);
    int degree = errata_locator(synd, n, ne, lambda);
    if (degree == 0 || 2 * degree - ne > n)
        return -1;
    /* omega = S(x) lambda(x) mod x^2E, of degree < deg(lambda) when decoding succeeds (a
     * wrong result from dropping higher terms fails the final check anyway) */
    for (int i = 0; i < degree; i++) {
        uint8_t acc = 0;
        for (int j = 0; j <= i; j++)
            acc ^= gf_mul(synd[j], lambda[i - j]);
        omega[i] = acc;
    }
    if (chien_forney(code, lambda, degree, omega, pos, mag) != degree ||
        !explains_syndromes(code, synd, pos, mag, degree))
        return -1;
    int changed = 0;
    for (int f = 0; f < degree; f++) {
        cw[pos[f]] ^= mag[f];
        changed += mag[f] != 0;
    }
    return changed;
}

/* Decode one received codeword (lane `lane` of its codeblock, symbols `depth` apart) whose
 * remainder is not zero; corrected message symbols go to msg_out, in the received basis. */
static int decode_one(const rs_code *code, const uint8_t *received, size_t depth,
                      const uint8_t *xlat, const uint8_t *rem, const int32_t *erasures,
                      size_t n_erasures, size_t lane, uint8_t *msg_out, int dual)
{
    uint8_t cw[NN], original[NN];
    int erasure_degree[NN], ne = 0;
    for (size_t j = 0; j < NN; j++)
        cw[j] = original[j] = xlat[received[j * depth]];
    for (size_t e = 0; e < n_erasures && ne < NN; e++)
        if ((size_t)erasures[e] % depth == lane)
            erasure_degree[ne++] = NN - 1 - (int)((size_t)erasures[e] / depth);
    int changed = correct_codeword(code, cw, rem, erasure_degree, ne);
    if (changed < 0)
        return -1;
    const size_t k = (size_t)(NN - code->nroots);
    for (size_t j = 0; j < k; j++)
        if (cw[j] != original[j])
            msg_out[j * depth] = dual ? conv_to_dual[cw[j]] : cw[j];
    return changed;
}

size_t fw_rs_decode(const uint8_t *codeblocks, size_t nblocks, int nroots, int interleave,
                    int dual, const int32_t *erasures, size_t n_erasures, uint8_t *out,
                    int32_t *corrected, uint8_t *failed)
{
    const rs_code *code = code_for(nroots);
    const uint8_t *xlat = dual ? dual_to_conv : identity;
    const size_t depth = (size_t)interleave, msg_len = (size_t)(NN - nroots) * depth;
    const size_t block_len = NN * depth, ncw = nblocks * depth;
    size_t uncorrectable = 0;
    for (size_t b = 0; b < nblocks; b++) {
        memcpy(out + b * msg_len, codeblocks + b * block_len, msg_len);
        corrected[b] = 0;
        failed[b] = 0;
    }
    for (size_t c = 0; c < ncw; c += LANES) {
        const uint8_t *cw[LANES];
        uint8_t rem[LANES][MAX_ROOTS];
        lane_starts(codeblocks, c, ncw, interleave, block_len, cw);
        remainder_lanes(code, cw, depth, xlat, rem);
        for (int l = 0; l < LANES && c + (size_t)l < ncw; l++) {
            if (is_zero(rem[l], nroots))
                continue;
            size_t w = c + (size_t)l, block = w / depth;
            int changed = decode_one(code, cw[l], depth, xlat, rem[l], erasures, n_erasures,
                                     w % depth, out + codeword_offset(w, interleave, msg_len),
                                     dual);
            if (changed < 0) {
                uncorrectable++;
                failed[block] = 1;
            } else {
                corrected[block] += changed;
            }
        }
    }
    return uncorrectable;
}
