#include <stdio.h>

int main(void) {
    long limit;
    if (scanf("%ld", &limit) != 1 || limit < 1) return 1;
    long best = 1, best_steps = 0;
    for (long start = 1; start <= limit; start++) {
        long x = start, steps = 0;
        while (x != 1) { x = x % 2 ? 3 * x + 1 : x / 2; steps++; }
        if (steps > best_steps) { best_steps = steps; best = start; }
    }
    printf("%ld takes %ld steps\n", best, best_steps);
    return 0;
}
