if value is None or value == 0:
    pass
