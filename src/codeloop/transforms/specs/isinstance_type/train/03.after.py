while isinstance(node, Leaf):
    node = node.parent
