#include <stdio.h>
#include <ctype.h>

int main(void) {
    long lines = 0, words = 0, chars = 0, longest = 0, current = 0;
    int ch, in_word = 0;
    while ((ch = getchar()) != EOF) {
        chars++;
        if (ch == '\n') { lines++; if (current > longest) longest = current; current = 0; }
        else current++;
        if (isspace(ch)) in_word = 0;
        else if (!in_word) { in_word = 1; words++; }
    }
    if (current > longest) longest = current;
    printf("%ld %ld %ld longest line %ld\n", lines, words, chars, longest);
    return 0;
}
