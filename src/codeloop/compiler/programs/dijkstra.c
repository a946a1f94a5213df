#include <stdio.h>

#define MAX 200
#define INF 1000000000

int main(void) {
    static int weight[MAX][MAX];
    int n, m, source;
    if (scanf("%d %d %d", &n, &m, &source) != 3 || n > MAX) return 1;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) weight[i][j] = INF;
    for (int e = 0; e < m; e++) {
        int u, v, w;
        scanf("%d %d %d", &u, &v, &w);
        if (w < weight[u][v]) weight[u][v] = weight[v][u] = w;
    }
    int distance[MAX], done[MAX] = {0};
    for (int i = 0; i < n; i++) distance[i] = INF;
    distance[source] = 0;
    for (int round = 0; round < n; round++) {
        int u = -1;
        for (int i = 0; i < n; i++)
            if (!done[i] && (u < 0 || distance[i] < distance[u])) u = i;
        if (distance[u] == INF) break;
        done[u] = 1;
        for (int v = 0; v < n; v++)
            if (weight[u][v] < INF && distance[u] + weight[u][v] < distance[v]) distance[v] = distance[u] + weight[u][v];
    }
    for (int i = 0; i < n; i++) printf("%d%c", distance[i] == INF ? -1 : distance[i], i + 1 < n ? ' ' : '\n');
    return 0;
}
