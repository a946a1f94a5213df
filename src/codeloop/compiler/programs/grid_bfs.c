#include <stdio.h>
#include <string.h>

int main(void) {
    static char grid[100][101];
    static int distance[100][100];
    static int queue[10000][2];
    int rows = 0;
    while (rows < 100 && scanf("%100s", grid[rows]) == 1) rows++;
    if (!rows) return 1;
    int cols = (int)strlen(grid[0]);
    memset(distance, -1, sizeof distance);
    int head = 0, tail = 0;
    distance[0][0] = 0;
    queue[tail][0] = 0; queue[tail++][1] = 0;
    const int dr[4] = {1, -1, 0, 0}, dc[4] = {0, 0, 1, -1};
    while (head < tail) {
        int r = queue[head][0], c = queue[head++][1];
        for (int d = 0; d < 4; d++) {
            int nr = r + dr[d], nc = c + dc[d];
            if (nr < 0 || nc < 0 || nr >= rows || nc >= cols || grid[nr][nc] == '#' || distance[nr][nc] >= 0) continue;
            distance[nr][nc] = distance[r][c] + 1;
            queue[tail][0] = nr; queue[tail++][1] = nc;
        }
    }
    printf("%d\n", distance[rows - 1][cols - 1]);
    return 0;
}
