#include <stdio.h>
#include <stdint.h>
#include <string.h>

int main(void) {
    char line[1024];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        uint64_t fnv = 0xcbf29ce484222325ull;
        uint32_t a = 1, b = 0;
        for (const unsigned char *p = (const unsigned char *)line; *p; p++) {
            fnv = (fnv ^ *p) * 0x100000001b3ull;
            a = (a + *p) % 65521;
            b = (b + a) % 65521;
        }
        printf("%016llx %08x %s\n", (unsigned long long)fnv, b << 16 | a, line);
    }
    return 0;
}
