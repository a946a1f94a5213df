if not os.path.exists(a):
    os.makedirs(b)
