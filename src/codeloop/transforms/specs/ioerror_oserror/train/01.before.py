try:
    f = open(path)
except IOError:
    f = None
