if len(xs) == 1:
    pass
