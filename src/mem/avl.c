#include "mem/avl.h"

#include <errno.h>
#include <stddef.h>

static int height(const struct mem_avl_node *n)
{
	return n ? n->height : 0;
}

static void fix(struct mem_avl_node *n, const struct mem_avl_ops *ops)
{
	int l = height(n->left), r = height(n->right);

	n->height = 1 + (l > r ? l : r);
	if (ops->update)
		ops->update(n);
}

static struct mem_avl_node *rotate_right(struct mem_avl_node *y, const struct mem_avl_ops *ops)
{
	struct mem_avl_node *x = y->left;

	y->left = x->right;
	x->right = y;
	fix(y, ops);
	fix(x, ops);
	return x;
}

static struct mem_avl_node *rotate_left(struct mem_avl_node *x, const struct mem_avl_ops *ops)
{
	struct mem_avl_node *y = x->right;

	x->right = y->left;
	y->left = x;
	fix(x, ops);
	fix(y, ops);
	return y;
}

/* Restore |balance| <= 1 at n after one of its subtrees changed height by
 * one; also refreshes n's height and augmentation on the way up. */
static struct mem_avl_node *rebalance(struct mem_avl_node *n, const struct mem_avl_ops *ops)
{
	int bf = height(n->left) - height(n->right);

	if (bf > 1) {
		if (height(n->left->left) < height(n->left->right))
			n->left = rotate_left(n->left, ops);
		return rotate_right(n, ops);
	}
	if (bf < -1) {
		if (height(n->right->right) < height(n->right->left))
			n->right = rotate_right(n->right, ops);
		return rotate_left(n, ops);
	}
	fix(n, ops);
	return n;
}

struct mem_avl_node *mem_avl_insert(struct mem_avl_node *root, struct mem_avl_node *n,
				    const struct mem_avl_ops *ops)
{
	if (!root) {
		n->left = n->right = NULL;
		fix(n, ops);
		return n;
	}
	if (ops->cmp(n, root) < 0)
		root->left = mem_avl_insert(root->left, n, ops);
	else
		root->right = mem_avl_insert(root->right, n, ops);
	return rebalance(root, ops);
}

static struct mem_avl_node *remove_min(struct mem_avl_node *t, struct mem_avl_node **min,
				       const struct mem_avl_ops *ops)
{
	if (!t->left) {
		*min = t;
		return t->right;
	}
	t->left = remove_min(t->left, min, ops);
	return rebalance(t, ops);
}

struct mem_avl_node *mem_avl_remove(struct mem_avl_node *root, struct mem_avl_node *n,
				    const struct mem_avl_ops *ops)
{
	struct mem_avl_node *succ;
	int c;

	if (!root)
		return NULL; /* not in the tree: nothing to do */
	c = root == n ? 0 : ops->cmp(n, root);
	if (c < 0) {
		root->left = mem_avl_remove(root->left, n, ops);
	} else if (c > 0) {
		root->right = mem_avl_remove(root->right, n, ops);
	} else {
		if (!root->left)
			return root->right;
		if (!root->right)
			return root->left;
		/* Two children: the in-order successor takes root's place. */
		root->right = remove_min(root->right, &succ, ops);
		succ->left = root->left;
		succ->right = root->right;
		root = succ;
	}
	return rebalance(root, ops);
}

static long check(const struct mem_avl_node *n, const struct mem_avl_ops *ops,
		  const struct mem_avl_node *lo, const struct mem_avl_node *hi)
{
	long l, r;
	int hl, hr;

	if (!n)
		return 0;
	if ((lo && ops->cmp(lo, n) >= 0) || (hi && ops->cmp(n, hi) >= 0))
		return -EINVAL;
	l = check(n->left, ops, lo, n);
	r = check(n->right, ops, n, hi);
	if (l < 0 || r < 0)
		return -EINVAL;
	hl = height(n->left);
	hr = height(n->right);
	if (n->height != 1 + (hl > hr ? hl : hr) || hl - hr > 1 || hr - hl > 1)
		return -EINVAL;
	return l + r + 1;
}

long mem_avl_check(const struct mem_avl_node *root, const struct mem_avl_ops *ops)
{
	return check(root, ops, NULL, NULL);
}
