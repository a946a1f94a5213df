#include <stdio.h>

static void quicksort(long *a, int lo, int hi) {
    while (lo < hi) {
        long pivot = a[(lo + hi) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) { long t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
        }
        if (j - lo < hi - i) { quicksort(a, lo, j); lo = i; }
        else { quicksort(a, i, hi); hi = j; }
    }
}

int main(void) {
    static long a[100000];
    int n = 0;
    while (n < 100000 && scanf("%ld", &a[n]) == 1) n++;
    quicksort(a, 0, n - 1);
    long checksum = 0;
    for (int i = 0; i < n; i++) checksum = checksum * 31 + a[i];
    printf("%d numbers, min %ld, max %ld, checksum %ld\n", n, n ? a[0] : 0, n ? a[n - 1] : 0, checksum);
    return 0;
}
