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
 * evaluates with two nibble table look-ups and a multiply by 2^k per byte position. */
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
static int use_avx2 = 0;

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

typedef struct {
    uint64_t *words;
    uint8_t *checks;
    int correct;
    int64_t *corrected_idx, *uncorrectable_idx;
    size_t max_report, n_corrected, n_uncorrectable;
} scan_state;

/* Syndrome decoding of words [from, to) of a block known to hold an error. */
static void repair_range(scan_state *s, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        uint8_t action = syndrome_action[check_octet(s->words[i]) ^ s->checks[i]];
        if (action == ACTION_CLEAN)
            continue;
        if (action == ACTION_UNCORRECTABLE) {
            if (s->n_uncorrectable < s->max_report)
                s->uncorrectable_idx[s->n_uncorrectable] = (int64_t)i;
            s->n_uncorrectable++;
            continue;
        }
        if (s->n_corrected < s->max_report)
            s->corrected_idx[s->n_corrected] = (int64_t)i;
        s->n_corrected++;
        if (!s->correct)
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

const char *fw_secded_path(void) { return use_avx2 ? "avx2" : "portable"; }

int fw_secded_select(int fastest)
{
    use_avx2 = 0;
    if (!fastest)
        return 1;
#ifdef SECDED_HAVE_AVX2
    __builtin_cpu_init();
    use_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
#endif
    return use_avx2;
}

void fw_secded_check(uint64_t *words, uint8_t *checks, size_t n, int correct,
                     int64_t *corrected_idx, int64_t *uncorrectable_idx, size_t max_report,
                     size_t *n_corrected, size_t *n_uncorrectable)
{
    scan_state s = {words, checks, correct, corrected_idx, uncorrectable_idx, max_report, 0, 0};
    size_t done;
#ifdef SECDED_HAVE_AVX2
    done = use_avx2 ? scan_avx2(&s, n) : scan_portable(&s, n);
#else
    done = scan_portable(&s, n);
#endif
    repair_range(&s, done, n);
    *n_corrected = s.n_corrected;
    *n_uncorrectable = s.n_uncorrectable;
}
