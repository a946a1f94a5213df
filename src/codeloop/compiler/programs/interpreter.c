#include <stdio.h>

/* A brainfuck interpreter: the program on the first line, its input after it */
int main(void) {
    static char program[4096];
    static unsigned char tape[30000];
    static int match[4096];
    int stack[512], depth = 0, length = 0, ch;
    while ((ch = getchar()) != EOF && ch != '\n' && length < 4095)
        if (ch == '+' || ch == '-' || ch == '<' || ch == '>' || ch == '.' || ch == ',' || ch == '[' || ch == ']')
            program[length++] = (char)ch;
    for (int i = 0; i < length; i++) {
        if (program[i] == '[') { if (depth == 512) return 1; stack[depth++] = i; }
        else if (program[i] == ']') {
            if (!depth) return 1;
            int open = stack[--depth];
            match[open] = i;
            match[i] = open;
        }
    }
    if (depth) return 1;
    long steps = 0;
    for (int pc = 0, cell = 0; pc < length && steps < 10000000; pc++, steps++) {
        switch (program[pc]) {
            case '+': tape[cell]++; break;
            case '-': tape[cell]--; break;
            case '>': cell = (cell + 1) % 30000; break;
            case '<': cell = (cell + 29999) % 30000; break;
            case '.': putchar(tape[cell]); break;
            case ',': { int c = getchar(); tape[cell] = c == EOF ? 0 : (unsigned char)c; break; }
            case '[': if (!tape[cell]) pc = match[pc]; break;
            case ']': if (tape[cell]) pc = match[pc]; break;
        }
    }
    printf("\n%ld steps\n", steps);
    return 0;
}
