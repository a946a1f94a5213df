#include <stdio.h>

static unsigned long long memo[94];

static unsigned long long fib(int n) {
    if (n < 2) return (unsigned long long)n;
    if (memo[n]) return memo[n];
    return memo[n] = fib(n - 1) + fib(n - 2);
}

int main(void) {
    int n;
    while (scanf("%d", &n) == 1) {
        if (n < 0 || n > 93) { printf("out of range\n"); continue; }
        printf("fib(%d) = %llu\n", n, fib(n));
    }
    return 0;
}
