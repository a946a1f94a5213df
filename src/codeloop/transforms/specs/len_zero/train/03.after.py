if errors:
    raise ValueError(errors)
