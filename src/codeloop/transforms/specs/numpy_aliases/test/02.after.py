table = np.empty((2, 2), dtype=str)
