try:
    parse()
except ValueError:
    pass
