/* avl: an intrusive, optionally augmented AVL tree, the index behind the
 * guest memory map (region_map.c keeps one tree by guest-physical address and
 * one interval tree by host-virtual address, as KVM's scalable memslots do).
 *
 * Contract: the caller embeds a struct mem_avl_node in its object and gives a
 * total order (cmp never returns 0 for two distinct nodes of one tree) and,
 * for an augmented tree, an update hook that recomputes a node's summary from
 * its children. Insert and remove are O(log n): the height stays below
 * 1.45 log2(n + 2), so the recursion below is at most ~25 deep for 32764
 * nodes. No allocation, no locking: the owner serialises writers. */
#ifndef SKIFF_MEM_AVL_H
#define SKIFF_MEM_AVL_H

struct mem_avl_node {
	struct mem_avl_node *left, *right;
	int height; /* of the subtree rooted here; a leaf has 1 */
};

struct mem_avl_ops {
	/* <0, >0 as a sorts before/after b; 0 only when a == b. */
	int (*cmp)(const struct mem_avl_node *a, const struct mem_avl_node *b);
	/* Recompute n's augmentation from n, n->left and n->right; may be NULL. */
	void (*update)(struct mem_avl_node *n);
};

/* Insert n (not yet in the tree); returns the new root. */
struct mem_avl_node *mem_avl_insert(struct mem_avl_node *root, struct mem_avl_node *n,
				    const struct mem_avl_ops *ops);
/* Remove n, which must be in the tree; returns the new root. */
struct mem_avl_node *mem_avl_remove(struct mem_avl_node *root, struct mem_avl_node *n,
				    const struct mem_avl_ops *ops);
/* Check order, stored heights and balance of the whole tree (tests, O(n)):
 * the number of nodes, or -EINVAL on the first broken invariant. */
long mem_avl_check(const struct mem_avl_node *root, const struct mem_avl_ops *ops);

#endif
