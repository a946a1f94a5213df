#include <stdio.h>

static long gcd(long a, long b) {
    while (b) { long t = a % b; a = b; b = t; }
    return a < 0 ? -a : a;
}

int main(void) {
    long a, b;
    while (scanf("%ld %ld", &a, &b) == 2) {
        long g = gcd(a, b);
        long l = g ? a / g * b : 0;
        printf("gcd %ld lcm %ld\n", g, l < 0 ? -l : l);
    }
    return 0;
}
