z = np.int32(7)
