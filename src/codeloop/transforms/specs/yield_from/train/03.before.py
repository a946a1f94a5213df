def lines(f):
    for line in f:
        yield line
