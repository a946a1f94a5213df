def walk(node):
    yield from node.children
