def doubled(xs):
    for x in xs:
        yield 2 * x
