x = np.zeros(3, dtype=np.float)
