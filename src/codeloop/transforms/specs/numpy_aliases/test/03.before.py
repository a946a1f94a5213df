if x.dtype == np.int:
    pass
