def order(x, y):
    if x > y:
        t = x
        x = y
        y = t
    return x, y
