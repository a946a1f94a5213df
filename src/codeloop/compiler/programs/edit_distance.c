#include <stdio.h>
#include <string.h>

static int min3(int a, int b, int c) { return a < b ? (a < c ? a : c) : (b < c ? b : c); }

int main(void) {
    char a[512], b[512];
    int row[512];
    while (scanf("%511s %511s", a, b) == 2) {
        int n = (int)strlen(a), m = (int)strlen(b);
        for (int j = 0; j <= m; j++) row[j] = j;
        for (int i = 1; i <= n; i++) {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= m; j++) {
                int above = row[j];
                row[j] = min3(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1]));
                diagonal = above;
            }
        }
        printf("%d\n", row[m]);
    }
    return 0;
}
