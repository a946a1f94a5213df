#include <stdio.h>

int main(void) {
    unsigned long long n;
    while (scanf("%llu", &n) == 1) {
        printf("%llu =", n);
        if (n < 2) { printf(" %llu\n", n); continue; }
        for (unsigned long long p = 2; p * p <= n; p += p == 2 ? 1 : 2) {
            int power = 0;
            while (n % p == 0) { n /= p; power++; }
            if (power == 1) printf(" %llu", p);
            else if (power > 1) printf(" %llu^%d", p, power);
        }
        if (n > 1) printf(" %llu", n);
        putchar('\n');
    }
    return 0;
}
