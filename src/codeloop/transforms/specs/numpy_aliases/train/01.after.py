x = np.zeros(3, dtype=float)
