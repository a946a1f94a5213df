#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    char token[64];
    long stack[256];
    int depth = 0;
    while (scanf("%63s", token) == 1) {
        if (strchr("+-*/%", token[0]) && token[1] == 0) {
            if (depth < 2) { printf("stack underflow\n"); return 1; }
            long b = stack[--depth], a = stack[--depth], r = 0;
            switch (token[0]) {
                case '+': r = a + b; break;
                case '-': r = a - b; break;
                case '*': r = a * b; break;
                case '/': if (!b) { printf("division by zero\n"); return 1; } r = a / b; break;
                case '%': if (!b) { printf("division by zero\n"); return 1; } r = a % b; break;
            }
            stack[depth++] = r;
        } else if (strcmp(token, "=") == 0) {
            printf("%ld\n", depth ? stack[depth - 1] : 0);
            depth = 0;
        } else if (depth < 256) {
            stack[depth++] = strtol(token, NULL, 10);
        }
    }
    return 0;
}
