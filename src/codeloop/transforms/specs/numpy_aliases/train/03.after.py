ids = np.array(values, dtype=int)
names = np.array(labels, dtype=object)
