def to_float(a):
    return a.astype(float)  # copy
