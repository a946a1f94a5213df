#include <stdio.h>
#include <string.h>

static const int VALUES[] = {1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1};
static const char *SYMBOLS[] = {"M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV", "I"};

static int parse(const char *text) {
    int total = 0;
    for (int i = 0; i < 13;) {
        size_t length = strlen(SYMBOLS[i]);
        if (strncmp(text, SYMBOLS[i], length) == 0) { total += VALUES[i]; text += length; }
        else i++;
    }
    return *text ? -1 : total;
}

int main(void) {
    char word[64];
    while (scanf("%63s", word) == 1) {
        int n;
        if (sscanf(word, "%d", &n) == 1) {
            if (n <= 0 || n >= 4000) { printf("out of range\n"); continue; }
            for (int i = 0; i < 13; i++) while (n >= VALUES[i]) { fputs(SYMBOLS[i], stdout); n -= VALUES[i]; }
            putchar('\n');
        } else {
            printf("%d\n", parse(word));
        }
    }
    return 0;
}
