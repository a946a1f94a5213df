#include <stdio.h>
#include <stdint.h>

int main(void) {
    uint32_t table[256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    uint32_t crc = 0xFFFFFFFFu;
    long length = 0;
    int ch;
    while ((ch = getchar()) != EOF) {
        crc = table[(crc ^ (uint32_t)ch) & 0xFF] ^ (crc >> 8);
        length++;
    }
    printf("%08x %ld\n", crc ^ 0xFFFFFFFFu, length);
    return 0;
}
