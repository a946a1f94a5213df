def flatten(rows):
    for row in rows:
        yield from row
