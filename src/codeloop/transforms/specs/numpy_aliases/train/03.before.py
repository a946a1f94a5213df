ids = np.array(values, dtype=np.int)
names = np.array(labels, dtype=np.object)
