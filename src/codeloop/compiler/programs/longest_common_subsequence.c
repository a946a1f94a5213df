#include <stdio.h>
#include <string.h>

static int table[1001][1001];

int main(void) {
    char a[1002], b[1002];
    while (scanf("%1000s %1000s", a, b) == 2) {
        int n = (int)strlen(a), m = (int)strlen(b);
        for (int i = 1; i <= n; i++)
            for (int j = 1; j <= m; j++)
                table[i][j] = a[i - 1] == b[j - 1] ? table[i - 1][j - 1] + 1
                              : table[i - 1][j] > table[i][j - 1] ? table[i - 1][j] : table[i][j - 1];
        char out[1001];
        int k = table[n][m], i = n, j = m;
        out[k] = 0;
        while (i && j) {
            if (a[i - 1] == b[j - 1]) { out[--k] = a[i - 1]; i--; j--; }
            else if (table[i - 1][j] >= table[i][j - 1]) i--;
            else j--;
        }
        printf("%d %s\n", table[n][m], out);
    }
    return 0;
}
