#include <stdio.h>

int main(void) {
    static int digits[20000];
    int n;
    while (scanf("%d", &n) == 1 && n >= 0 && n <= 3000) {
        int length = 1;
        digits[0] = 1;
        for (int k = 2; k <= n; k++) {
            int carry = 0;
            for (int i = 0; i < length; i++) {
                int v = digits[i] * k + carry;
                digits[i] = v % 10;
                carry = v / 10;
            }
            while (carry) { digits[length++] = carry % 10; carry /= 10; }
        }
        int sum = 0;
        for (int i = 0; i < length; i++) sum += digits[i];
        printf("%d! has %d digits, digit sum %d, leading", n, length, sum);
        for (int i = length - 1; i >= 0 && i >= length - 10; i--) printf("%s%d", i == length - 1 ? " " : "", digits[i]);
        putchar('\n');
    }
    return 0;
}
