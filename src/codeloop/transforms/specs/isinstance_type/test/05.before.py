if type(x) is int:
    pass
