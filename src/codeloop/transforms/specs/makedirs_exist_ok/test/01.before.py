for d in dirs:
    if not os.path.exists(d):
        os.makedirs(d)
