mask = arr.astype(np.bool)
