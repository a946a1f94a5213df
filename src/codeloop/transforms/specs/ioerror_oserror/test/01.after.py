try:
    data = read()
except OSError as e:
    data = b""
