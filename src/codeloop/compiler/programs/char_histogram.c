#include <stdio.h>
#include <ctype.h>

int main(void) {
    long count[26] = {0}, total = 0;
    int ch;
    while ((ch = getchar()) != EOF)
        if (isalpha(ch)) { count[tolower(ch) - 'a']++; total++; }
    for (int i = 0; i < 26; i++) {
        if (!count[i]) continue;
        printf("%c %4ld ", 'a' + i, count[i]);
        for (long bar = 0; bar < count[i] * 40 / (total ? total : 1); bar++) putchar('*');
        putchar('\n');
    }
    return 0;
}
