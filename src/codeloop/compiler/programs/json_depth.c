#include <stdio.h>

/* Checks the brackets and strings of a JSON-like text: depth, counts, and the first error */
int main(void) {
    char stack[1024];
    int depth = 0, deepest = 0, ch, in_string = 0, escaped = 0;
    long position = 0, strings = 0, objects = 0, arrays = 0;
    while ((ch = getchar()) != EOF) {
        position++;
        if (in_string) {
            if (escaped) escaped = 0;
            else if (ch == '\\') escaped = 1;
            else if (ch == '"') in_string = 0;
            continue;
        }
        if (ch == '"') { in_string = 1; strings++; }
        else if (ch == '{' || ch == '[') {
            if (depth == 1024) { printf("too deep at %ld\n", position); return 1; }
            stack[depth++] = (char)ch;
            if (depth > deepest) deepest = depth;
            if (ch == '{') objects++; else arrays++;
        } else if (ch == '}' || ch == ']') {
            if (!depth || stack[depth - 1] != (ch == '}' ? '{' : '[')) { printf("mismatch at %ld\n", position); return 1; }
            depth--;
        }
    }
    if (depth || in_string) { printf("unterminated\n"); return 1; }
    printf("ok: depth %d, %ld objects, %ld arrays, %ld strings\n", deepest, objects, arrays, strings);
    return 0;
}
