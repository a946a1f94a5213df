#include <stdio.h>

int main(void) {
    int previous = EOF, ch, run = 0;
    while ((ch = getchar()) != EOF) {
        if (ch == previous && run < 255) { run++; continue; }
        if (previous != EOF) printf("%d%c", run, previous == '\n' ? '$' : previous);
        previous = ch;
        run = 1;
    }
    if (previous != EOF) printf("%d%c", run, previous == '\n' ? '$' : previous);
    putchar('\n');
    return 0;
}
