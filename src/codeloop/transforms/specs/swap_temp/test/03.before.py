def flip(p):
    tmp = p.x
    p.x = p.y
    p.y = tmp
    return p
