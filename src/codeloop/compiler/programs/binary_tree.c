#include <stdio.h>
#include <stdlib.h>

struct node { int key; int count; struct node *left, *right; };

static struct node *insert(struct node *root, int key) {
    if (!root) {
        root = calloc(1, sizeof *root);
        root->key = key;
        root->count = 1;
        return root;
    }
    if (key == root->key) root->count++;
    else if (key < root->key) root->left = insert(root->left, key);
    else root->right = insert(root->right, key);
    return root;
}

static int height(const struct node *root) {
    if (!root) return 0;
    int l = height(root->left), r = height(root->right);
    return 1 + (l > r ? l : r);
}

static void walk(const struct node *root) {
    if (!root) return;
    walk(root->left);
    printf("%d x%d\n", root->key, root->count);
    walk(root->right);
}

int main(void) {
    struct node *root = NULL;
    int key;
    while (scanf("%d", &key) == 1) root = insert(root, key);
    walk(root);
    printf("height %d\n", height(root));
    return 0;
}
