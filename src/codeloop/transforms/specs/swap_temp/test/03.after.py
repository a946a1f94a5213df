def flip(p):
    p.x, p.y = p.y, p.x
    return p
