#include <stdio.h>

int main(void) {
    int n, capacity, weight[200], value[200];
    static long best[10001];
    if (scanf("%d %d", &n, &capacity) != 2 || n > 200 || capacity > 10000) return 1;
    for (int i = 0; i < n; i++) scanf("%d %d", &weight[i], &value[i]);
    for (int i = 0; i < n; i++)
        for (int c = capacity; c >= weight[i]; c--)
            if (best[c - weight[i]] + value[i] > best[c]) best[c] = best[c - weight[i]] + value[i];
    printf("%ld\n", best[capacity]);
    return 0;
}
