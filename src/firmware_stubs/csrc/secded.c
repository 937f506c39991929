/* SECDED (72,64) Hsiao code.
 *
 * Hsiao (1970), "A class of optimal minimum odd-weight-column SEC-DED codes": every column of
 * H is distinct and of odd weight, so a single error gives an odd-weight syndrome equal to its
 * column and any double error a non-zero even-weight one. The 64 data columns are the 56
 * weight-3 octets and 8 weight-5 ones, each row of H holding 26 of them (the minimum-weight,
 * balanced choice); check bit r has column 1 << r.
 *
 * The data columns are laid out so that data bit 8k+j has column rotl8(a_j, k), with a_j one
 * octet of each of the 7 rotation classes of weight 3 and one of weight 5. The check octet
 * is then XOR_k rotl8(A(byte_k), k) with A one linear map on octets, which SIMD code
 * evaluates with two nibble table look-ups and a multiply by 2^k per byte position.
 *
 * The fw_secded_*_il functions store the same code bit-interleaved over groups of 2, 4 or 8
 * words against multi-bit upsets (layout below), gathering bits with BMI2 pext/pdep when the
 * CPU has them, else with shift-and-mask code. */
#include "secded.h"

#include <string.h>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define SECDED_HAVE_AVX2 1
#include <immintrin.h>
#endif

#define ACTION_CLEAN 0xFF
#define ACTION_UNCORRECTABLE 0xFE
#define CHECK_BIT_ACTION 64 /* actions 64 + r: check bit r */
#define SIMD_BLOCK 16       /* words per AVX2 step */
#define SCALAR_BLOCK 8      /* words per portable step */

static const uint8_t class_representatives[8] = {0x07, 0x0B, 0x13, 0x23, 0x43, 0x15, 0x25,
                                                 0x1F};
static uint8_t byte_table[8][256]; /* contribution of byte k of a word to its check octet */
static uint8_t nibble_table[2][16]; /* A() of the low and the high nibble */
static uint8_t syndrome_action[256];
static void init_interleaved_tables(void);
static int use_avx2 = 0;
static int use_bmi2 = 0; /* interleaved paths: pext/pdep and the AVX2 check */

static uint8_t rotl8(unsigned x, unsigned k)
{
    return (uint8_t)(((x << k) | (x >> (8 - k))) & 0xFFu);
}

static uint8_t column(unsigned bit) { return rotl8(class_representatives[bit % 8], bit / 8); }

void fw_secded_init(void)
{
    for (unsigned k = 0; k < 8; k++)
        for (unsigned v = 0; v < 256; v++) {
            uint8_t acc = 0;
            for (unsigned j = 0; j < 8; j++)
                if (v & (1u << j))
                    acc ^= column(8 * k + j);
            byte_table[k][v] = acc;
        }
    for (unsigned n = 0; n < 16; n++) {
        nibble_table[0][n] = byte_table[0][n];
        nibble_table[1][n] = byte_table[0][n << 4];
    }
    memset(syndrome_action, ACTION_UNCORRECTABLE, sizeof syndrome_action);
    syndrome_action[0] = ACTION_CLEAN;
    for (unsigned bit = 0; bit < 64; bit++)
        syndrome_action[column(bit)] = (uint8_t)bit;
    for (unsigned r = 0; r < 8; r++)
        syndrome_action[1u << r] = (uint8_t)(CHECK_BIT_ACTION + r);
    fw_secded_select(1);
    init_interleaved_tables();
    fw_secded_il_select(1);
}

static uint8_t check_octet(uint64_t w)
{
    return byte_table[0][w & 0xFF] ^ byte_table[1][(w >> 8) & 0xFF] ^
           byte_table[2][(w >> 16) & 0xFF] ^ byte_table[3][(w >> 24) & 0xFF] ^
           byte_table[4][(w >> 32) & 0xFF] ^ byte_table[5][(w >> 40) & 0xFF] ^
           byte_table[6][(w >> 48) & 0xFF] ^ byte_table[7][w >> 56];
}

void fw_secded_encode(const uint64_t *words, size_t n, uint8_t *checks)
{
    for (size_t i = 0; i < n; i++)
        checks[i] = check_octet(words[i]);
}

/* Where the check functions report corrected and uncorrectable word indices. */
typedef struct {
    int64_t *corrected_idx, *uncorrectable_idx;
    size_t max_report, n_corrected, n_uncorrectable;
} syndrome_report;

/* Record word i under its syndrome action (not ACTION_CLEAN); 1 when it is a correction. */
static inline int report_word(syndrome_report *r, uint8_t action, size_t i)
{
    const int correctable = action != ACTION_UNCORRECTABLE;
    int64_t *indices = correctable ? r->corrected_idx : r->uncorrectable_idx;
    size_t *count = correctable ? &r->n_corrected : &r->n_uncorrectable;
    if (*count < r->max_report)
        indices[*count] = (int64_t)i;
    (*count)++;
    return correctable;
}

static void report_counts(const syndrome_report *r, size_t *n_corrected,
                          size_t *n_uncorrectable)
{
    *n_corrected = r->n_corrected;
    *n_uncorrectable = r->n_uncorrectable;
}

typedef struct {
    uint64_t *words;
    uint8_t *checks;
    int correct;
    syndrome_report report;
} scan_state;

/* Syndrome decoding of words [from, to) of a block known to hold an error. */
static void repair_range(scan_state *s, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        uint8_t action = syndrome_action[check_octet(s->words[i]) ^ s->checks[i]];
        if (action == ACTION_CLEAN || !report_word(&s->report, action, i) || !s->correct)
            continue;
        if (action < CHECK_BIT_ACTION)
            s->words[i] ^= (uint64_t)1 << action;
        else
            s->checks[i] ^= (uint8_t)(1u << (action - CHECK_BIT_ACTION));
    }
}

/* Portable path: 8 check octets at a time, compared with the stored ones in one go. */
static size_t scan_portable(scan_state *s, size_t n)
{
    size_t i = 0;
    for (; i + SCALAR_BLOCK <= n; i += SCALAR_BLOCK) {
        uint8_t computed[SCALAR_BLOCK];
        for (int q = 0; q < SCALAR_BLOCK; q++)
            computed[q] = check_octet(s->words[i + (size_t)q]);
        if (memcmp(computed, s->checks + i, SCALAR_BLOCK) != 0)
            repair_range(s, i, i + SCALAR_BLOCK);
    }
    return i;
}

#ifdef SECDED_HAVE_AVX2
__attribute__((target("avx2"))) static __m256i avx2_diff(__m256i data, const uint8_t *checks,
                                                          __m256i table_lo, __m256i table_hi)
{
    const __m256i nibble = _mm256_set1_epi8(0x0F), low_byte = _mm256_set1_epi16(0x00FF);
    const __m256i shift_even = _mm256_set1_epi64x(0x0040001000040001LL); /* 2^0,2^2,2^4,2^6 */
    const __m256i shift_odd = _mm256_set1_epi64x((long long)0x0080002000080002ULL);
    __m256i lo = _mm256_and_si256(data, nibble);
    __m256i hi = _mm256_and_si256(_mm256_srli_epi16(data, 4), nibble);
    __m256i y = _mm256_xor_si256(_mm256_shuffle_epi8(table_lo, lo),
                                 _mm256_shuffle_epi8(table_hi, hi));
    /* byte k of each word shifted left by k inside a 16-bit lane: rotl8 split in two octets */
    __m256i p = _mm256_xor_si256(_mm256_mullo_epi16(_mm256_and_si256(y, low_byte), shift_even),
                                 _mm256_mullo_epi16(_mm256_srli_epi16(y, 8), shift_odd));
    p = _mm256_xor_si256(p, _mm256_srli_epi64(p, 32));
    p = _mm256_xor_si256(p, _mm256_srli_epi64(p, 16));
    p = _mm256_xor_si256(p, _mm256_srli_epi64(p, 8));
    int32_t stored;
    memcpy(&stored, checks, sizeof stored);
    return _mm256_xor_si256(p, _mm256_cvtepu8_epi64(_mm_cvtsi32_si128(stored)));
}

__attribute__((target("avx2"))) static size_t scan_avx2(scan_state *s, size_t n)
{
    const __m256i table_lo = _mm256_broadcastsi128_si256(
        _mm_loadu_si128((const __m128i *)nibble_table[0]));
    const __m256i table_hi = _mm256_broadcastsi128_si256(
        _mm_loadu_si128((const __m128i *)nibble_table[1]));
    const __m256i check_byte = _mm256_set1_epi64x(0xFF);
    size_t i = 0;
    for (; i + SIMD_BLOCK <= n; i += SIMD_BLOCK) {
        __m256i diff = _mm256_setzero_si256();
        for (int q = 0; q < SIMD_BLOCK; q += 4) {
            __m256i data = _mm256_loadu_si256((const __m256i *)(s->words + i + (size_t)q));
            diff = _mm256_or_si256(diff, avx2_diff(data, s->checks + i + (size_t)q,
                                                   table_lo, table_hi));
        }
        if (!_mm256_testz_si256(diff, check_byte))
            repair_range(s, i, i + SIMD_BLOCK);
    }
    return i;
}
#endif

/* ---- Interleaved layout -------------------------------------------------------------
 *
 * With depth D (1, 2, 4 or 8) a group of D logical words occupies D physical words: logical
 * bit j of word k of the group is physical bit p = j*D + k of the group's D*64 bits (bit p%64
 * of physical word p/64). The group's D check octets are interleaved the same way: check bit
 * r of logical word k is bit r*D + k of the group's 8*D check bits (octet (r*D+k)/8). Any D
 * adjacent physical bits thus belong to D different codewords. Physical word i of a group
 * holds bits [i*64/D, (i+1)*64/D) of every logical word: logical word k is the bits of the D
 * physical words under the mask M_D << k (M_D has every D-th bit set), i.e. pext. */

#define IL_BLOCK 16 /* words per step: a multiple of every depth */
#define IL_INLINE static inline __attribute__((always_inline))

IL_INLINE uint64_t depth_mask(unsigned depth)
{
    switch (depth) {
    case 2: return 0x5555555555555555ULL;
    case 4: return 0x1111111111111111ULL;
    case 8: return 0x0101010101010101ULL;
    default: return ~0ULL;
    }
}

/* Portable pext(x, depth_mask(depth)): every depth-th bit of x, packed from bit 0. */
IL_INLINE uint64_t compact_bits(uint64_t x, unsigned depth)
{
    switch (depth) {
    case 2:
        x &= 0x5555555555555555ULL;
        x = (x | x >> 1) & 0x3333333333333333ULL;
        x = (x | x >> 2) & 0x0F0F0F0F0F0F0F0FULL;
        x = (x | x >> 4) & 0x00FF00FF00FF00FFULL;
        x = (x | x >> 8) & 0x0000FFFF0000FFFFULL;
        return (x | x >> 16) & 0x00000000FFFFFFFFULL;
    case 4:
        x &= 0x1111111111111111ULL;
        x = (x | x >> 3) & 0x0303030303030303ULL;
        x = (x | x >> 6) & 0x000F000F000F000FULL;
        x = (x | x >> 12) & 0x000000FF000000FFULL;
        return (x | x >> 24) & 0xFFFFULL;
    case 8:
        x &= 0x0101010101010101ULL;
        x = (x | x >> 7) & 0x0003000300030003ULL;
        x = (x | x >> 14) & 0x0000000F0000000FULL;
        return (x | x >> 28) & 0xFFULL;
    default:
        return x;
    }
}

/* Portable pdep(x, depth_mask(depth)): the inverse of compact_bits. */
IL_INLINE uint64_t spread_bits(uint64_t x, unsigned depth)
{
    switch (depth) {
    case 2:
        x &= 0x00000000FFFFFFFFULL;
        x = (x | x << 16) & 0x0000FFFF0000FFFFULL;
        x = (x | x << 8) & 0x00FF00FF00FF00FFULL;
        x = (x | x << 4) & 0x0F0F0F0F0F0F0F0FULL;
        x = (x | x << 2) & 0x3333333333333333ULL;
        return (x | x << 1) & 0x5555555555555555ULL;
    case 4:
        x &= 0xFFFFULL;
        x = (x | x << 24) & 0x000000FF000000FFULL;
        x = (x | x << 12) & 0x000F000F000F000FULL;
        x = (x | x << 6) & 0x0303030303030303ULL;
        return (x | x << 3) & 0x1111111111111111ULL;
    case 8:
        x &= 0xFFULL;
        x = (x | x << 28) & 0x0000000F0000000FULL;
        x = (x | x << 14) & 0x0003000300030003ULL;
        return (x | x << 7) & 0x0101010101010101ULL;
    default:
        return x;
    }
}

/* Syndrome tables of the interleaved layout (depth 2 and 4): entry [P][v] is what a group's
 * physical data octet P holding v adds to the group's 8*depth interleaved check bits. By
 * linearity the XOR of a group's entries and its stored check bits is its syndrome, in the
 * same interleaved order: zero for a clean group, without de-interleaving the data. Depth 8
 * uses an 8x8 bit transpose instead (below), sparing a 128 KiB table. */
static uint16_t syndrome_table2[16][256];
static uint32_t syndrome_table4[32][256];

static uint64_t interleaved_contribution(unsigned depth, unsigned octet, unsigned value)
{
    uint64_t acc = 0;
    for (unsigned t = 0; t < 8; t++)
        if (value >> t & 1) {
            unsigned p = 8 * octet + t;
            acc ^= spread_bits(column(p / depth), depth) << (p % depth);
        }
    return acc;
}

static void init_interleaved_tables(void)
{
    for (unsigned v = 0; v < 256; v++) {
        for (unsigned octet = 0; octet < 16; octet++)
            syndrome_table2[octet][v] = (uint16_t)interleaved_contribution(2, octet, v);
        for (unsigned octet = 0; octet < 32; octet++)
            syndrome_table4[octet][v] = (uint32_t)interleaved_contribution(4, octet, v);
    }
}

IL_INLINE uint64_t syndrome_entry(unsigned depth, unsigned octet, unsigned value)
{
    return depth == 2 ? syndrome_table2[octet][value] : syndrome_table4[octet][value];
}

/* 8x8 bit transpose (bit 8r + c to bit 8c + r), Hacker's Delight 7-3. At depth 8 it turns
 * physical word i of a group into logical byte i of each word (byte k: word k), and the
 * group's check bits into its check octets. */
IL_INLINE uint64_t transpose8(uint64_t x)
{
    uint64_t t = (x ^ (x >> 7)) & 0x00AA00AA00AA00AAULL;
    x ^= t ^ (t << 7);
    t = (x ^ (x >> 14)) & 0x0000CCCC0000CCCCULL;
    x ^= t ^ (t << 14);
    t = (x ^ (x >> 28)) & 0x00000000F0F0F0F0ULL;
    return x ^ t ^ (t << 28);
}

/* The group's check octets as one little-endian integer of 8*depth bits. */
IL_INLINE uint64_t load_checks(const uint8_t *checks, unsigned depth)
{
    uint64_t value = 0;
    for (unsigned q = 0; q < depth; q++)
        value |= (uint64_t)checks[q] << (8 * q);
    return value;
}

/* The syndromes of one group (depth > 1), in some bit order: zero when every word is
 * clean. */
IL_INLINE uint64_t group_syndrome(const uint64_t *phys, const uint8_t *checks, unsigned depth)
{
    if (depth == 8) {
        uint64_t syndrome = transpose8(load_checks(checks, depth));
        for (unsigned i = 0; i < depth; i++) {
            uint64_t bytes = transpose8(phys[i]);
            for (unsigned k = 0; k < 8; k++)
                syndrome ^= (uint64_t)byte_table[i][(bytes >> (8 * k)) & 0xFF] << (8 * k);
        }
        return syndrome;
    }
    uint64_t syndrome = load_checks(checks, depth);
    for (unsigned i = 0; i < depth; i++)
        for (unsigned b = 0; b < 8; b++)
            syndrome ^= syndrome_entry(depth, 8 * i + b, (unsigned)(phys[i] >> (8 * b)) & 0xFF);
    return syndrome;
}

IL_INLINE void store_checks(uint8_t *checks, unsigned depth, uint64_t value)
{
    for (unsigned q = 0; q < depth; q++)
        checks[q] = (uint8_t)(value >> (8 * q));
}

/* One group through a bit-gather EXTRACT(x, k) = the bits of x under depth_mask << k, packed
 * (pext), and its inverse DEPOSIT(v, k) (pdep): the logical words and check octets of a
 * group, and back. Physical word i holds bits [i*64/depth, (i+1)*64/depth) of each word. */
#define IL_GROUP_CODECS(SUFFIX, ATTRS, EXTRACT, DEPOSIT)                                       \
    ATTRS IL_INLINE void group_decode_##SUFFIX(const uint64_t *phys, const uint8_t *checks,    \
                                               unsigned depth, uint64_t *logical,             \
                                               uint8_t *lchecks)                               \
    {                                                                                          \
        const unsigned width = 64 / depth;                                                     \
        uint64_t stored = load_checks(checks, depth);                                          \
        for (unsigned k = 0; k < depth; k++) {                                                 \
            uint64_t acc = 0;                                                                  \
            for (unsigned i = 0; i < depth; i++)                                               \
                acc |= EXTRACT(phys[i], k) << (i * width);                                     \
            logical[k] = acc;                                                                  \
            lchecks[k] = (uint8_t)EXTRACT(stored, k);                                          \
        }                                                                                      \
    }                                                                                          \
    ATTRS IL_INLINE void group_encode_##SUFFIX(const uint64_t *logical, unsigned depth,        \
                                               uint64_t *phys, uint8_t *checks)                \
    {                                                                                          \
        const unsigned width = 64 / depth;                                                     \
        const uint64_t chunk = (1ULL << width) - 1;                                            \
        uint64_t words[8] = {0}, stored = 0;                                                   \
        for (unsigned k = 0; k < depth; k++) {                                                 \
            for (unsigned i = 0; i < depth; i++)                                               \
                words[i] |= DEPOSIT((logical[k] >> (i * width)) & chunk, k);                   \
            stored |= DEPOSIT(check_octet(logical[k]), k);                                     \
        }                                                                                      \
        for (unsigned i = 0; i < depth; i++)                                                   \
            phys[i] = words[i];                                                                \
        store_checks(checks, depth, stored);                                                   \
    }

#define PORTABLE_EXTRACT(x, k) compact_bits((x) >> (k), depth)
#define PORTABLE_DEPOSIT(v, k) (spread_bits((v), depth) << (k))
IL_GROUP_CODECS(il_compact, , PORTABLE_EXTRACT, PORTABLE_DEPOSIT)

/* Portable codec of depth 4 and 8 by transposes rather than one gather per word and field.
 * gather_fields moves bit q = j*depth + k of a word to bit k*(64/depth) + j (a rotation of
 * the bit index by log2 depth, as delta swaps exchanging index bits): physical word i of a
 * group then holds field k = bits [i*w, (i+1)*w) of logical word k (w = 64/depth), and a
 * depth x depth transpose of w-bit fields across the group's words yields the logical words.
 * Both steps are involutions up to order, so encoding runs them backwards. */
IL_INLINE uint64_t delta_swap64(uint64_t x, uint64_t mask, unsigned shift)
{
    uint64_t t = ((x >> shift) ^ x) & mask;
    return x ^ t ^ (t << shift);
}

IL_INLINE uint64_t gather_fields64(uint64_t x, unsigned depth)
{
    if (depth == 8)
        return transpose8(x);
    x = delta_swap64(x, 0x0A0A0A0A0A0A0A0AULL, 3);  /* index bits 0 <-> 2 */
    x = delta_swap64(x, 0x00CC00CC00CC00CCULL, 6);  /* 1 <-> 3 */
    x = delta_swap64(x, 0x0000F0F00000F0F0ULL, 12); /* 2 <-> 4 */
    return delta_swap64(x, 0x00000000FF00FF00ULL, 24); /* 3 <-> 5 */
}

IL_INLINE uint64_t scatter_fields64(uint64_t x, unsigned depth)
{
    if (depth == 8)
        return transpose8(x);
    x = delta_swap64(x, 0x00000000FF00FF00ULL, 24);
    x = delta_swap64(x, 0x0000F0F00000F0F0ULL, 12);
    x = delta_swap64(x, 0x00CC00CC00CC00CCULL, 6);
    return delta_swap64(x, 0x0A0A0A0A0A0A0A0AULL, 3);
}

/* words[i] field k <-> words[k] field i, fields of 64/depth bits (block transpose). */
IL_INLINE void transpose_fields(uint64_t *words, unsigned depth)
{
    for (unsigned rows = depth / 2, shift = 32; rows >= 1; rows /= 2, shift /= 2) {
        const uint64_t mask = shift == 32 ? 0x00000000FFFFFFFFULL
                            : shift == 16 ? 0x0000FFFF0000FFFFULL : 0x00FF00FF00FF00FFULL;
        for (unsigned i = 0; i < depth; i++)
            if (!(i & rows)) {
                uint64_t t = ((words[i] >> shift) ^ words[i + rows]) & mask;
                words[i] ^= t << shift;
                words[i + rows] ^= t;
            }
    }
}

IL_INLINE void group_decode_il_portable(const uint64_t *phys, const uint8_t *checks,
                                        unsigned depth, uint64_t *logical, uint8_t *lchecks)
{
    if (depth == 2) {
        group_decode_il_compact(phys, checks, depth, logical, lchecks);
        return;
    }
    uint64_t words[8];
    for (unsigned i = 0; i < depth; i++)
        words[i] = gather_fields64(phys[i], depth);
    transpose_fields(words, depth);
    uint64_t stored = gather_fields64(load_checks(checks, depth), depth);
    for (unsigned k = 0; k < depth; k++) {
        logical[k] = words[k];
        lchecks[k] = (uint8_t)(stored >> (k * (64 / depth)));
    }
}

IL_INLINE void group_encode_il_portable(const uint64_t *logical, unsigned depth,
                                        uint64_t *phys, uint8_t *checks)
{
    if (depth == 2) {
        group_encode_il_compact(logical, depth, phys, checks);
        return;
    }
    uint64_t words[8], stored = 0;
    for (unsigned k = 0; k < depth; k++) {
        words[k] = logical[k];
        stored |= (uint64_t)check_octet(logical[k]) << (k * (64 / depth));
    }
    transpose_fields(words, depth);
    for (unsigned i = 0; i < depth; i++)
        phys[i] = scatter_fields64(words[i], depth);
    store_checks(checks, depth, scatter_fields64(stored, depth));
}

typedef struct {
    uint64_t *phys;
    uint8_t *checks;
    unsigned depth;
    int correct;
    uint64_t *logical; /* decoded output, or NULL */
    syndrome_report report;
} il_state;

/* Syndrome decoding of `count` logical words from word `base` (decoded in `words`, their
 * check octets in `lchecks`): report, fix the decoded copy and (if asked) the stored bits. */
static void repair_il(il_state *s, size_t base, const uint64_t *words, const uint8_t *lchecks,
                      size_t count)
{
    const unsigned depth = s->depth;
    for (size_t q = 0; q < count; q++) {
        uint8_t action = syndrome_action[check_octet(words[q]) ^ lchecks[q]];
        size_t i = base + q;
        if (action == ACTION_CLEAN || !report_word(&s->report, action, i))
            continue;
        size_t group = i - i % depth;
        unsigned k = (unsigned)(i % depth);
        if (action < CHECK_BIT_ACTION) {
            if (s->logical)
                s->logical[i] ^= (uint64_t)1 << action;
            if (s->correct) {
                unsigned p = action * depth + k;
                s->phys[group + p / 64] ^= (uint64_t)1 << (p % 64);
            }
        } else if (s->correct) {
            unsigned p = (action - CHECK_BIT_ACTION) * depth + k;
            s->checks[group + p / 8] ^= (uint8_t)(1u << (p % 8));
        }
    }
}

IL_INLINE int block_dirty_portable(const uint64_t *words, const uint8_t *lchecks, size_t count)
{
    uint8_t diff = 0;
    for (size_t q = 0; q < count; q++)
        diff |= (uint8_t)(check_octet(words[q]) ^ lchecks[q]);
    return diff != 0;
}

/* Scan and encode loops of one path, specialised by the compiler for each constant depth:
 * without decoded output (a scrub) and with TABLE_TEST, skip blocks whose groups have a zero
 * table syndrome; else decode IL_BLOCK words (depth 1: copy them, check memory in place), test
 * the block with BLOCK_DIRTY and syndrome-decode a dirty block. */
#define IL_DEFINE_PATH(SUFFIX, ATTRS, BLOCK_DIRTY, TABLE_TEST)                                 \
    ATTRS IL_INLINE void scan_##SUFFIX##_depth(il_state *s, size_t from, size_t to,            \
                                               const unsigned depth)                          \
    {                                                                                          \
        uint64_t local[IL_BLOCK];                                                              \
        uint8_t lbuf[IL_BLOCK];                                                                \
        for (size_t i = from; i < to; i += IL_BLOCK) {                                         \
            size_t count = to - i < IL_BLOCK ? to - i : IL_BLOCK;                              \
            uint64_t *out = s->logical ? s->logical + i : local;                               \
            const uint64_t *words = out;                                                       \
            const uint8_t *lchecks = lbuf;                                                     \
            if (TABLE_TEST && depth > 1 && !s->logical) {                                      \
                uint64_t syndromes = 0;                                                        \
                for (size_t g = 0; g < count; g += depth)                                      \
                    syndromes |= group_syndrome(s->phys + i + g, s->checks + i + g, depth);    \
                if (!syndromes)                                                                \
                    continue;                                                                  \
            }                                                                                  \
            if (depth == 1) { /* checked in place: no store-to-load stall on the copy */      \
                lchecks = s->checks + i;                                                       \
                words = s->phys + i;                                                           \
                if (s->logical)                                                                \
                    memcpy(out, words, count * sizeof *out);                                   \
            } else {                                                                           \
                for (size_t g = 0; g < count; g += depth)                                      \
                    group_decode_##SUFFIX(s->phys + i + g, s->checks + i + g, depth, out + g,  \
                                          lbuf + g);                                           \
            }                                                                                  \
            if (BLOCK_DIRTY(words, lchecks, count))                                            \
                repair_il(s, i, words, lchecks, count);                                        \
        }                                                                                      \
    }                                                                                          \
    ATTRS static void scan_##SUFFIX(il_state *s, size_t from, size_t to)                       \
    {                                                                                          \
        switch (s->depth) {                                                                    \
        case 1: scan_##SUFFIX##_depth(s, from, to, 1); break;                                  \
        case 2: scan_##SUFFIX##_depth(s, from, to, 2); break;                                  \
        case 4: scan_##SUFFIX##_depth(s, from, to, 4); break;                                  \
        default: scan_##SUFFIX##_depth(s, from, to, 8); break;                                 \
        }                                                                                      \
    }                                                                                          \
    ATTRS IL_INLINE void encode_##SUFFIX##_depth(const uint64_t *logical, size_t n,            \
                                                 const unsigned depth, uint64_t *phys,         \
                                                 uint8_t *checks)                              \
    {                                                                                          \
        for (size_t g = 0; g < n; g += depth)                                                  \
            group_encode_##SUFFIX(logical + g, depth, phys + g, checks + g);                   \
    }                                                                                          \
    ATTRS static void encode_##SUFFIX(const uint64_t *logical, size_t n, unsigned depth,       \
                                      uint64_t *phys, uint8_t *checks)                         \
    {                                                                                          \
        switch (depth) {                                                                       \
        case 2: encode_##SUFFIX##_depth(logical, n, 2, phys, checks); break;                   \
        case 4: encode_##SUFFIX##_depth(logical, n, 4, phys, checks); break;                   \
        default: encode_##SUFFIX##_depth(logical, n, 8, phys, checks); break;                  \
        }                                                                                      \
    }

IL_DEFINE_PATH(il_portable, , block_dirty_portable, 1)

#ifdef SECDED_HAVE_AVX2
#define BMI2_EXTRACT(x, k) _pext_u64((x), depth_mask(depth) << (k))
#define BMI2_DEPOSIT(v, k) _pdep_u64((v), depth_mask(depth) << (k))
IL_GROUP_CODECS(il_bmi2, __attribute__((target("bmi2,avx2"))), BMI2_EXTRACT, BMI2_DEPOSIT)

__attribute__((target("bmi2,avx2"))) IL_INLINE int
block_dirty_avx2(const uint64_t *words, const uint8_t *lchecks, size_t count)
{
    if (count != IL_BLOCK)
        return block_dirty_portable(words, lchecks, count);
    const __m256i table_lo = _mm256_broadcastsi128_si256(
        _mm_loadu_si128((const __m128i *)nibble_table[0]));
    const __m256i table_hi = _mm256_broadcastsi128_si256(
        _mm_loadu_si128((const __m128i *)nibble_table[1]));
    __m256i diff = _mm256_setzero_si256();
    for (int q = 0; q < IL_BLOCK; q += 4) {
        __m256i data = _mm256_loadu_si256((const __m256i *)(words + q));
        diff = _mm256_or_si256(diff, avx2_diff(data, lchecks + q, table_lo, table_hi));
    }
    return !_mm256_testz_si256(diff, _mm256_set1_epi64x(0xFF));
}

IL_DEFINE_PATH(il_bmi2, __attribute__((target("bmi2,avx2"))), block_dirty_avx2, 0)

/* Clean test of a scrub at depth 4 and 8 without de-interleaving word by word. Within each
 * 64-bit lane a bit-index rotation (delta swaps) turns physical word i of a group into the
 * depth fields of its logical words: at depth 8 byte k is logical byte i of word k (an 8x8
 * bit transpose), at depth 4 16-bit lane k holds logical bytes 2i and 2i+1 of word k. A()
 * by nibble look-ups and the byte-position rotation rotl8(., m) as a 16-bit multiply by 2^m
 * then folded (as in avx2_diff) give each byte's share of its word's check octet. Lanes hold
 * word i of four groups, so summing over i is a vertical XOR. The stored check bits (bit
 * r*depth + k of the group) go through the same rotation, landing on check octet k. */
#define IL_SIMD_WORDS 32 /* words per clean test: 8 groups of 4 or 4 groups of 8 */
#define AVX2_FN __attribute__((target("bmi2,avx2"))) IL_INLINE

AVX2_FN __m256i delta_swap(__m256i x, long long mask, int shift)
{
    __m256i t = _mm256_and_si256(_mm256_xor_si256(_mm256_srli_epi64(x, shift), x),
                                 _mm256_set1_epi64x(mask));
    return _mm256_xor_si256(x, _mm256_xor_si256(t, _mm256_slli_epi64(t, shift)));
}

/* Bit q = j*depth + k of every lane to bit k*(64/depth) + j (index rotated right by
 * log2 depth). */
AVX2_FN __m256i gather_fields(__m256i x, unsigned depth)
{
    if (depth == 8) {
        x = delta_swap(x, 0x00AA00AA00AA00AALL, 7);
        x = delta_swap(x, 0x0000CCCC0000CCCCLL, 14);
        return delta_swap(x, 0x00000000F0F0F0F0LL, 28);
    }
    x = delta_swap(x, 0x0A0A0A0A0A0A0A0ALL, 3);
    x = delta_swap(x, 0x00CC00CC00CC00CCLL, 6);
    x = delta_swap(x, 0x0000F0F00000F0F0LL, 12);
    return delta_swap(x, 0x00000000FF00FF00LL, 24);
}

/* A() of every byte. */
AVX2_FN __m256i map_bytes(__m256i x, __m256i table_lo, __m256i table_hi)
{
    const __m256i nibble = _mm256_set1_epi8(0x0F);
    return _mm256_xor_si256(
        _mm256_shuffle_epi8(table_lo, _mm256_and_si256(x, nibble)),
        _mm256_shuffle_epi8(table_hi, _mm256_and_si256(_mm256_srli_epi16(x, 4), nibble)));
}

/* 4x4 transpose of 64-bit elements: rows[j] = 4 words of group j -> out[i] = word i of the
 * four groups. */
AVX2_FN void transpose4(const __m256i rows[4], __m256i out[4])
{
    __m256i t0 = _mm256_unpacklo_epi64(rows[0], rows[1]);
    __m256i t1 = _mm256_unpackhi_epi64(rows[0], rows[1]);
    __m256i t2 = _mm256_unpacklo_epi64(rows[2], rows[3]);
    __m256i t3 = _mm256_unpackhi_epi64(rows[2], rows[3]);
    out[0] = _mm256_permute2x128_si256(t0, t2, 0x20);
    out[1] = _mm256_permute2x128_si256(t1, t3, 0x20);
    out[2] = _mm256_permute2x128_si256(t0, t2, 0x31);
    out[3] = _mm256_permute2x128_si256(t1, t3, 0x31);
}

/* Whether any word of 4 groups of `depth` words from phys has a non-zero syndrome. */
AVX2_FN int four_groups_dirty(const uint64_t *phys, const uint8_t *checks, unsigned depth,
                              __m256i table_lo, __m256i table_hi)
{
    const __m256i low = _mm256_set1_epi16(0x00FF);
    __m256i words[8];
    for (unsigned h = 0; h < depth / 4; h++) {
        __m256i rows[4];
        for (unsigned j = 0; j < 4; j++)
            rows[j] = _mm256_loadu_si256((const __m256i *)(phys + j * depth + 4 * h));
        transpose4(rows, words + 4 * h);
    }
    __m256i stored = depth == 8
        ? _mm256_loadu_si256((const __m256i *)checks)
        : _mm256_cvtepu32_epi64(_mm_loadu_si128((const __m128i *)checks));
    stored = gather_fields(stored, depth);
    /* depth 4: one accumulator (both bytes of a 16-bit lane belong to one word); depth 8:
     * even and odd bytes belong to different words, so two. */
    __m256i even = _mm256_and_si256(stored, low), odd = _mm256_srli_epi16(stored, 8);
    if (depth == 4) {
        even = stored;
        odd = _mm256_setzero_si256();
    }
    for (unsigned i = 0; i < depth; i++) {
        __m256i y = map_bytes(gather_fields(words[i], depth), table_lo, table_hi);
        unsigned m_even = depth == 4 ? 2 * i : i, m_odd = depth == 4 ? 2 * i + 1 : i;
        __m256i lo = _mm256_mullo_epi16(_mm256_and_si256(y, low),
                                        _mm256_set1_epi16((short)(1 << m_even)));
        __m256i hi = _mm256_mullo_epi16(_mm256_srli_epi16(y, 8),
                                        _mm256_set1_epi16((short)(1 << m_odd)));
        if (depth == 4) {
            even = _mm256_xor_si256(even, _mm256_xor_si256(lo, hi));
        } else {
            even = _mm256_xor_si256(even, lo);
            odd = _mm256_xor_si256(odd, hi);
        }
    }
    __m256i folded = _mm256_or_si256(_mm256_xor_si256(even, _mm256_srli_epi16(even, 8)),
                                     _mm256_xor_si256(odd, _mm256_srli_epi16(odd, 8)));
    return !_mm256_testz_si256(folded, low);
}

/* Words from phys (a multiple of IL_SIMD_WORDS) before the first 32-word run that is not
 * clean. */
AVX2_FN size_t clean_prefix_depth(const uint64_t *phys, const uint8_t *checks, size_t n,
                                  const unsigned depth)
{
    const __m256i table_lo = _mm256_broadcastsi128_si256(
        _mm_loadu_si128((const __m128i *)nibble_table[0]));
    const __m256i table_hi = _mm256_broadcastsi128_si256(
        _mm_loadu_si128((const __m128i *)nibble_table[1]));
    size_t i = 0;
    for (; i + IL_SIMD_WORDS <= n; i += IL_SIMD_WORDS) {
        int dirty = 0;
        for (size_t q = 0; q < IL_SIMD_WORDS; q += 4 * depth)
            dirty |= four_groups_dirty(phys + i + q, checks + i + q, depth, table_lo, table_hi);
        if (dirty)
            break;
    }
    return i;
}

/* The bmi2 scan: a scrub at depth 4 or 8 skips clean runs with the SIMD test and decodes
 * only the runs holding an error. */
__attribute__((target("bmi2,avx2"))) static void scan_il_fast(il_state *s, size_t n)
{
    if (s->logical || (s->depth != 4 && s->depth != 8)) {
        scan_il_bmi2(s, 0, n);
        return;
    }
    size_t i = 0;
    while (i < n) {
        i += s->depth == 4 ? clean_prefix_depth(s->phys + i, s->checks + i, n - i, 4)
                           : clean_prefix_depth(s->phys + i, s->checks + i, n - i, 8);
        size_t stop = n - i < IL_SIMD_WORDS ? n : i + IL_SIMD_WORDS;
        scan_il_bmi2(s, i, stop);
        i = stop;
    }
}
#endif

const char *fw_secded_il_path(void) { return use_bmi2 ? "bmi2" : "portable"; }

/* Whether the CPU runs the AVX2 path (and BMI2 as well, when asked): 0 unless `fastest`. */
static int cpu_has_fast_path(int fastest, int needs_bmi2)
{
#ifdef SECDED_HAVE_AVX2
    if (fastest) {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") &&
               (!needs_bmi2 || __builtin_cpu_supports("bmi2"));
    }
#endif
    (void)fastest;
    (void)needs_bmi2;
    return 0;
}

int fw_secded_il_select(int fastest)
{
    use_bmi2 = cpu_has_fast_path(fastest, 1);
    return fastest ? use_bmi2 : 1;
}

void fw_secded_encode_il(const uint64_t *logical, size_t n, unsigned depth, uint64_t *phys,
                         uint8_t *checks)
{
    if (depth == 1) {
        for (size_t i = 0; i < n; i++) {
            checks[i] = check_octet(logical[i]);
            phys[i] = logical[i];
        }
        return;
    }
#ifdef SECDED_HAVE_AVX2
    if (use_bmi2) {
        encode_il_bmi2(logical, n, depth, phys, checks);
        return;
    }
#endif
    encode_il_portable(logical, n, depth, phys, checks);
}

void fw_secded_check_il(uint64_t *phys, uint8_t *checks, size_t n, unsigned depth, int correct,
                        uint64_t *logical, int64_t *corrected_idx, int64_t *uncorrectable_idx,
                        size_t max_report, size_t *n_corrected, size_t *n_uncorrectable)
{
    il_state s = {phys, checks, depth, correct, logical,
                  {corrected_idx, uncorrectable_idx, max_report, 0, 0}};
#ifdef SECDED_HAVE_AVX2
    if (use_bmi2)
        scan_il_fast(&s, n);
    else
#endif
        scan_il_portable(&s, 0, n);
    report_counts(&s.report, n_corrected, n_uncorrectable);
}

const char *fw_secded_path(void) { return use_avx2 ? "avx2" : "portable"; }

int fw_secded_select(int fastest)
{
    use_avx2 = cpu_has_fast_path(fastest, 0);
    return fastest ? use_avx2 : 1;
}

void fw_secded_check(uint64_t *words, uint8_t *checks, size_t n, int correct,
                     int64_t *corrected_idx, int64_t *uncorrectable_idx, size_t max_report,
                     size_t *n_corrected, size_t *n_uncorrectable)
{
    scan_state s = {words, checks, correct, {corrected_idx, uncorrectable_idx, max_report, 0, 0}};
    size_t done;
#ifdef SECDED_HAVE_AVX2
    done = use_avx2 ? scan_avx2(&s, n) : scan_portable(&s, n);
#else
    done = scan_portable(&s, n);
#endif
    repair_range(&s, done, n);
    report_counts(&s.report, n_corrected, n_uncorrectable);
}
