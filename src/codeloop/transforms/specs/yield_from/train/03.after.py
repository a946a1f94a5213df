def lines(f):
    yield from f
