def pairs(xs):
    for i, x in enumerate(xs):
        yield x
