if value is None:
    value = 0
