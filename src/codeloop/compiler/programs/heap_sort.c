#include <stdio.h>

static void sift_down(int *a, int start, int end) {
    int root = start;
    while (2 * root + 1 <= end) {
        int child = 2 * root + 1, swap = root;
        if (a[swap] < a[child]) swap = child;
        if (child + 1 <= end && a[swap] < a[child + 1]) swap = child + 1;
        if (swap == root) return;
        int t = a[root]; a[root] = a[swap]; a[swap] = t;
        root = swap;
    }
}

int main(void) {
    static int a[50000];
    int n = 0;
    while (n < 50000 && scanf("%d", &a[n]) == 1) n++;
    for (int start = (n - 2) / 2; start >= 0; start--) sift_down(a, start, n - 1);
    for (int end = n - 1; end > 0; end--) {
        int t = a[end]; a[end] = a[0]; a[0] = t;
        sift_down(a, 0, end - 1);
    }
    for (int i = 0; i < n; i++) printf("%d%c", a[i], i + 1 < n ? ' ' : '\n');
    return 0;
}
