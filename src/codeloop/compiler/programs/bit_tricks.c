#include <stdio.h>
#include <stdint.h>

static int popcount(uint64_t x) { int c = 0; while (x) { x &= x - 1; c++; } return c; }
static uint64_t reverse_bits(uint64_t x) {
    uint64_t r = 0;
    for (int i = 0; i < 64; i++) { r = r << 1 | (x & 1); x >>= 1; }
    return r;
}
static int leading_zeros(uint64_t x) { int n = 0; if (!x) return 64; while (!(x >> 63)) { x <<= 1; n++; } return n; }

int main(void) {
    unsigned long long x;
    while (scanf("%llu", &x) == 1)
        printf("%llu: popcount %d, reversed %016llx, leading zeros %d, gray %llu, power of two %s\n", x, popcount(x),
               (unsigned long long)reverse_bits(x), leading_zeros(x), x ^ (x >> 1), x && !(x & (x - 1)) ? "yes" : "no");
    return 0;
}
