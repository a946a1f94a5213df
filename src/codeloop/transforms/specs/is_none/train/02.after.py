ok = result is not None
