#include <stdio.h>

int main(void) {
    int shift, ch;
    if (scanf("%d", &shift) != 1) return 1;
    shift = ((shift % 26) + 26) % 26;
    getchar();
    while ((ch = getchar()) != EOF) {
        if (ch >= 'a' && ch <= 'z') ch = 'a' + (ch - 'a' + shift) % 26;
        else if (ch >= 'A' && ch <= 'Z') ch = 'A' + (ch - 'A' + shift) % 26;
        putchar(ch);
    }
    return 0;
}
