def fetch_data(path):
    return open(path).read()
