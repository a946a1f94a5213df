#include <stdio.h>

int main(void) {
    long m[12][12];
    int n;
    if (scanf("%d", &n) != 1 || n < 1 || n > 12) return 1;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) scanf("%ld", &m[i][j]);
    /* Bareiss: fraction-free elimination, every division exact */
    long previous = 1;
    int sign = 1;
    for (int k = 0; k < n - 1; k++) {
        if (m[k][k] == 0) {
            int swap = k + 1;
            while (swap < n && m[swap][k] == 0) swap++;
            if (swap == n) { printf("0\n"); return 0; }
            for (int j = 0; j < n; j++) { long t = m[k][j]; m[k][j] = m[swap][j]; m[swap][j] = t; }
            sign = -sign;
        }
        for (int i = k + 1; i < n; i++)
            for (int j = k + 1; j < n; j++) m[i][j] = (m[i][j] * m[k][k] - m[i][k] * m[k][j]) / previous;
        previous = m[k][k];
    }
    printf("%ld\n", sign * m[n - 1][n - 1]);
    return 0;
}
