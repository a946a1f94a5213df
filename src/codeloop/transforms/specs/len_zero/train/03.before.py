if len(errors) != 0:
    raise ValueError(errors)
