def render(cells):
    return " | ".join([format(c) for c in cells])
