while type(node) == Leaf:
    node = node.parent
