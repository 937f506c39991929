/* CRC-32C (Castagnoli), slicing-by-8 over tables built on first use. */
#include "crc32c.h"

#define CRC32C_POLY_REFLECTED 0x82F63B78u

static uint32_t table[8][256];
static int table_ready = 0;

static void build_tables(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = (c & 1u) ? (c >> 1) ^ CRC32C_POLY_REFLECTED : c >> 1;
        table[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; n++)
        for (int t = 1; t < 8; t++)
            table[t][n] = (table[t - 1][n] >> 8) ^ table[0][table[t - 1][n] & 0xFF];
    table_ready = 1;
}

uint32_t fw_crc32c(uint32_t crc, const uint8_t *data, size_t len)
{
    if (!table_ready)
        build_tables();
    crc = ~crc;
    while (len && ((uintptr_t)data & 7u)) {
        crc = (crc >> 8) ^ table[0][(crc ^ *data++) & 0xFF];
        len--;
    }
    while (len >= 8) {
        uint32_t lo = crc ^ ((uint32_t)data[0] | (uint32_t)data[1] << 8 |
                             (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24);
        uint32_t hi = (uint32_t)data[4] | (uint32_t)data[5] << 8 |
                      (uint32_t)data[6] << 16 | (uint32_t)data[7] << 24;
        crc = table[7][lo & 0xFF] ^ table[6][(lo >> 8) & 0xFF] ^
              table[5][(lo >> 16) & 0xFF] ^ table[4][lo >> 24] ^
              table[3][hi & 0xFF] ^ table[2][(hi >> 8) & 0xFF] ^
              table[1][(hi >> 16) & 0xFF] ^ table[0][hi >> 24];
        data += 8;
        len -= 8;
    }
    while (len--)
        crc = (crc >> 8) ^ table[0][(crc ^ *data++) & 0xFF];
    return ~crc;
}
