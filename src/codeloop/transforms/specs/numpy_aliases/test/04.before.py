y = np.float64(1.0)
