def ensure(logs):
    if not os.path.exists(logs):
        os.makedirs(logs)
