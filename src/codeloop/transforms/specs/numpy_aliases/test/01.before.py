def to_float(a):
    return a.astype(np.float)  # copy
