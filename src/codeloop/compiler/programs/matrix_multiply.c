#include <stdio.h>

#define N 64

int main(void) {
    static long a[N][N], b[N][N], c[N][N];
    int n;
    if (scanf("%d", &n) != 1 || n < 1 || n > N) return 1;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) { a[i][j] = (i * 7 + j * 3) % 11 - 5; b[i][j] = (i + 2 * j) % 13 - 6; }
    for (int i = 0; i < n; i++)
        for (int k = 0; k < n; k++)
            for (int j = 0; j < n; j++) c[i][j] += a[i][k] * b[k][j];
    long trace = 0, sum = 0;
    for (int i = 0; i < n; i++) {
        trace += c[i][i];
        for (int j = 0; j < n; j++) sum += c[i][j] * (j + 1);
    }
    printf("trace %ld weighted sum %ld\n", trace, sum);
    return 0;
}
