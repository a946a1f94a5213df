if x.dtype == int:
    pass
