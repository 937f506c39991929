/* CRC-16/CCITT-FALSE, slicing-by-8 over tables built on first use.
   Frame error control (CCSDS 232.0-B-4 4.1.4.2, 132.0-B-3 4.1.6) and PUS packet error
   control (ECSS-E-ST-70-41C 7.4.3.1). */
#include "crc16.h"

#define CRC16_POLY 0x1021u

static uint16_t table[8][256];
static int table_ready = 0;

static void build_tables(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint16_t c = (uint16_t)(n << 8);
        for (int k = 0; k < 8; k++)
            c = (c & 0x8000u) ? (uint16_t)((c << 1) ^ CRC16_POLY) : (uint16_t)(c << 1);
        table[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; n++)
        for (int t = 1; t < 8; t++)
            table[t][n] = (uint16_t)((table[t - 1][n] << 8) ^ table[0][table[t - 1][n] >> 8]);
    table_ready = 1;
}

uint16_t fw_crc16_ccitt(uint16_t crc, const char *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;
    if (!table_ready)
        build_tables();
    while (len >= 8) {
        uint8_t b0 = (uint8_t)(p[0] ^ (crc >> 8)), b1 = (uint8_t)(p[1] ^ (crc & 0xFF));
        crc = (uint16_t)(table[7][b0] ^ table[6][b1] ^ table[5][p[2]] ^ table[4][p[3]] ^
                         table[3][p[4]] ^ table[2][p[5]] ^ table[1][p[6]] ^ table[0][p[7]]);
        p += 8;
        len -= 8;
    }
    while (len--)
        crc = (uint16_t)((crc << 8) ^ table[0][((crc >> 8) ^ *p++) & 0xFF]);
    return crc;
}
