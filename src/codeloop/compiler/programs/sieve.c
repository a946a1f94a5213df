#include <stdio.h>
#include <string.h>

int main(void) {
    static char composite[1000001];
    int n;
    if (scanf("%d", &n) != 1 || n < 2 || n > 1000000) return 1;
    memset(composite, 0, sizeof composite);
    int count = 0, last = 0;
    for (int i = 2; i <= n; i++) {
        if (composite[i]) continue;
        count++;
        last = i;
        for (long j = (long)i * i; j <= n; j += i) composite[j] = 1;
    }
    printf("%d primes up to %d, the largest %d\n", count, n, last);
    return 0;
}
