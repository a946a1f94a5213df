try:
    data = read()
except IOError as e:
    data = b""
