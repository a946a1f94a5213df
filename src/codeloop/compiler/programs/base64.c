#include <stdio.h>

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int main(void) {
    unsigned char in[3];
    int n, column = 0;
    while ((n = (int)fread(in, 1, 3, stdin)) > 0) {
        unsigned v = (unsigned)in[0] << 16 | (n > 1 ? (unsigned)in[1] << 8 : 0) | (n > 2 ? in[2] : 0);
        char out[4] = {ALPHABET[v >> 18 & 63], ALPHABET[v >> 12 & 63],
                       n > 1 ? ALPHABET[v >> 6 & 63] : '=', n > 2 ? ALPHABET[v & 63] : '='};
        fwrite(out, 1, 4, stdout);
        if ((column += 4) == 76) { putchar('\n'); column = 0; }
        if (n < 3) break;
    }
    putchar('\n');
    return 0;
}
