#include <stdio.h>
#include <string.h>

/* LZ77-style: for each position, the longest earlier match in a 255-byte window */
int main(void) {
    static unsigned char text[65536];
    size_t n = fread(text, 1, sizeof text, stdin);
    size_t i = 0, tokens = 0, literal_bytes = 0;
    while (i < n) {
        size_t best_length = 0, best_distance = 0;
        size_t start = i > 255 ? i - 255 : 0;
        for (size_t j = start; j < i; j++) {
            size_t length = 0;
            while (i + length < n && length < 255 && text[j + length] == text[i + length]) length++;
            if (length > best_length) { best_length = length; best_distance = i - j; }
        }
        if (best_length >= 3) { printf("(%zu,%zu)", best_distance, best_length); i += best_length; }
        else { putchar(text[i] == '\n' ? '|' : text[i]); i++; literal_bytes++; }
        tokens++;
    }
    printf("\n%zu bytes, %zu tokens, %zu literals\n", n, tokens, literal_bytes);
    return 0;
}
