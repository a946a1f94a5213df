if type(value) == int:
    pass
