def walk(node):
    for child in node.children:
        yield child
