#include <stdio.h>

static int leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

static int weekday(int year, int month, int day) {
    static const int offset[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
    if (month < 3) year--;
    return (year + year / 4 - year / 100 + year / 400 + offset[month - 1] + day) % 7;
}

int main(void) {
    static const char *NAMES[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const int DAYS[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int year, month;
    while (scanf("%d %d", &year, &month) == 2 && month >= 1 && month <= 12 && year > 0) {
        int days = DAYS[month - 1] + (month == 2 && leap(year));
        printf("%d-%02d\n", year, month);
        for (int d = 0; d < 7; d++) printf("%s ", NAMES[d]);
        putchar('\n');
        int first = weekday(year, month, 1);
        for (int d = 0; d < first; d++) printf("    ");
        for (int day = 1; day <= days; day++) printf("%3d%c", day, (first + day) % 7 ? ' ' : '\n');
        putchar('\n');
    }
    return 0;
}
