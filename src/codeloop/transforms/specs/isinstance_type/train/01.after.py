if isinstance(value, int):
    pass
