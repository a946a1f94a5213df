#include <stdio.h>
#include <stdlib.h>

struct item { long value; struct item *next; };

static struct item *reverse(struct item *head) {
    struct item *previous = NULL;
    while (head) { struct item *next = head->next; head->next = previous; previous = head; head = next; }
    return previous;
}

static struct item *remove_multiples(struct item *head, long k) {
    struct item **link = &head;
    while (*link) {
        if ((*link)->value % k == 0) { struct item *dead = *link; *link = dead->next; free(dead); }
        else link = &(*link)->next;
    }
    return head;
}

int main(void) {
    long k, value;
    if (scanf("%ld", &k) != 1 || k == 0) return 1;
    struct item *head = NULL;
    while (scanf("%ld", &value) == 1) {
        struct item *item = malloc(sizeof *item);
        item->value = value;
        item->next = head;
        head = item;
    }
    head = reverse(remove_multiples(head, k));
    for (struct item *p = head; p; p = p->next) printf("%ld ", p->value);
    putchar('\n');
    return 0;
}
