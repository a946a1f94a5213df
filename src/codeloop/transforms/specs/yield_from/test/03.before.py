def flatten(rows):
    for row in rows:
        for cell in row:
            yield cell
