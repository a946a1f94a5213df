def load_data(path):
    return open(path).read()
