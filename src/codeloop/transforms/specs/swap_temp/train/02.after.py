def order(x, y):
    if x > y:
        x, y = y, x
    return x, y
