#include <stdio.h>
#include <string.h>

#define W 32
#define H 24

int main(void) {
    static char board[H][W], next[H][W];
    int generations;
    unsigned seed;
    if (scanf("%u %d", &seed, &generations) != 2) return 1;
    for (int r = 0; r < H; r++)
        for (int c = 0; c < W; c++) { seed = seed * 1103515245u + 12345u; board[r][c] = (seed >> 16) % 3 == 0; }
    for (int g = 0; g < generations; g++) {
        for (int r = 0; r < H; r++)
            for (int c = 0; c < W; c++) {
                int alive = 0;
                for (int dr = -1; dr <= 1; dr++)
                    for (int dc = -1; dc <= 1; dc++)
                        if (dr || dc) alive += board[(r + dr + H) % H][(c + dc + W) % W];
                next[r][c] = alive == 3 || (alive == 2 && board[r][c]);
            }
        memcpy(board, next, sizeof board);
    }
    int population = 0;
    for (int r = 0; r < H; r++) {
        for (int c = 0; c < W; c++) { putchar(board[r][c] ? '#' : '.'); population += board[r][c]; }
        putchar('\n');
    }
    printf("population %d\n", population);
    return 0;
}
