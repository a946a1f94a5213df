mask = arr.astype(bool)
