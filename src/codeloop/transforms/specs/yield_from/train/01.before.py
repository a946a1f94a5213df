def chain(a, b):
    for x in a:
        yield x
    for x in b:
        yield x
