for key in config:
    print(key)
