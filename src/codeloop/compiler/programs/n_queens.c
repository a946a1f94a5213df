#include <stdio.h>

static int solve(int n, int row, unsigned columns, unsigned diagonals, unsigned anti) {
    if (row == n) return 1;
    int count = 0;
    unsigned free = ~(columns | diagonals | anti) & ((1u << n) - 1);
    while (free) {
        unsigned bit = free & -free;
        free ^= bit;
        count += solve(n, row + 1, columns | bit, (diagonals | bit) << 1, (anti | bit) >> 1);
    }
    return count;
}

int main(void) {
    int n;
    while (scanf("%d", &n) == 1 && n > 0 && n <= 12) printf("%d queens: %d solutions\n", n, solve(n, 0, 0, 0, 0));
    return 0;
}
