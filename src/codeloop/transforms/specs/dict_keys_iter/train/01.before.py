for key in config.keys():
    print(key)
