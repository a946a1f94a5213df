try:
    f = open(path)
except OSError:
    f = None
