#include <stdio.h>
#include <string.h>

int main(void) {
    static char pattern[1024], text[100000];
    static int fail[1024];
    if (!fgets(pattern, sizeof pattern, stdin)) return 1;
    pattern[strcspn(pattern, "\n")] = 0;
    size_t m = strlen(pattern), n = fread(text, 1, sizeof text - 1, stdin);
    if (!m) return 1;
    fail[0] = 0;
    for (size_t i = 1, k = 0; i < m; i++) {
        while (k && pattern[i] != pattern[k]) k = fail[k - 1];
        if (pattern[i] == pattern[k]) k++;
        fail[i] = (int)k;
    }
    int found = 0;
    for (size_t i = 0, k = 0; i < n; i++) {
        while (k && text[i] != pattern[k]) k = fail[k - 1];
        if (text[i] == pattern[k]) k++;
        if (k == m) { printf("at %zu\n", i + 1 - m); found++; k = fail[k - 1]; }
    }
    printf("%d matches\n", found);
    return 0;
}
